import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { jsonBody, jsonBodyErrors, jsonBodyShape } from './common/json-body.middleware';
import { DOCS_PATH, setupOpenApi } from './openapi/openapi.setup';
import { CONSOLE_CSP_DIRECTIVES, consoleAssets } from './console/console-assets';

export const API_PREFIX = 'api/v1';

/** Builds the configured application (pipes, filter, prefix, security headers) without listening yet. */
export async function createApp(config: AppConfig, databaseUrl: string): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, databaseUrl), {
    bufferLogs: true,
    bodyParser: false,
    // Lacework sends webhooks over https only: the service can terminate TLS itself.
    ...(config.tls === null ? {} : { httpsOptions: { cert: config.tls.cert, key: config.tls.key } }),
  });
  app.useLogger(app.get(Logger));
  app.use(helmet({ contentSecurityPolicy: { directives: CONSOLE_CSP_DIRECTIVES } }));
  // Swagger UI's page carries inline styles: its path keeps helmet's default policy, the console gets the strict one.
  app.use(`/${DOCS_PATH}`, helmet.contentSecurityPolicy());
  app.use(consoleAssets());
  app.use(jsonBody, jsonBodyErrors, jsonBodyShape);
  app.set('trust proxy', config.trustProxy);
  app.setGlobalPrefix(API_PREFIX, { exclude: ['health', 'metrics'] });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  app.useGlobalFilters(new HttpExceptionFilter());
  setupOpenApi(app, config);
  return app;
}
