import { ExecutionContext, INestApplication } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { DocumentBuilder, getSchemaPath, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { FailedAuthThrottle } from '../auth/failed-auth.throttle';
import { HttpExceptionFilter } from '../common/http-exception.filter';
import { requestId } from '../common/logger.options';
import { AppConfig } from '../config/app-config';
import { ErrorView } from './error.view';

export const DOCS_PATH = 'api/docs';
export const DOCS_JSON_PATH = 'api/docs-json';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/** The OpenAPI 3 document of every route, built from the controllers and DTOs. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('lacework-connector')
    .setDescription(
      'Pulls Lacework alerts with their six scopes, stores them and delivers them signed. Every route needs a ' +
        'bearer token: ADMIN_API_TOKEN may do everything, VIEWER_API_TOKEN may only read (GET), METRICS_TOKEN may ' +
        'only read /metrics. Errors are answered as `ErrorView`.',
    )
    .setVersion('v1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'ADMIN_API_TOKEN, VIEWER_API_TOKEN or METRICS_TOKEN',
    })
    .build();
  return describeErrors(SwaggerModule.createDocument(app, config, { extraModels: [ErrorView] }));
}

/**
 * Adds the error answers every operation can give, in the one error shape: 400 where it takes input, 401/403/429
 * where it needs a token, 404 where it names a resource, 500 everywhere. Answers a controller declared are kept.
 */
export function describeErrors(document: OpenAPIObject): OpenAPIObject {
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorView) } } },
  });
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) {
        continue;
      }
      const takesInput = (operation.parameters ?? []).length > 0 || operation.requestBody !== undefined;
      const needsToken = (operation.security ?? []).length > 0;
      const added: Record<string, ReturnType<typeof error>> = {};
      if (takesInput) {
        added['400'] = error('Invalid input; the message names the parameter or field');
      }
      if (needsToken) {
        added['401'] = error('No bearer token, or an unknown one');
        added['403'] = error('The token may not do this (viewer writing, metrics token outside /metrics)');
        added['429'] = error('Too many failed authentications from this address; retry later');
      }
      if (path.includes('{')) {
        added['404'] = error('No such resource');
      }
      added['500'] = error('Unexpected failure; details are in the log under the x-request-id');
      operation.responses = { ...added, ...operation.responses };
    }
  }
  return document;
}

/**
 * The docs need a token like the rest of the API (closed by default); the same guard decides, with the same
 * throttling of failed attempts. Swagger UI's routes are served outside Nest's pipeline, hence a middleware.
 */
function docsAccess(
  app: INestApplication,
  config: AppConfig,
): (req: Request, res: Response, next: NextFunction) => void {
  const guard = new ApiTokenGuard(app.get(Reflector), app.get(FailedAuthThrottle, { strict: false }), config);
  const errors = new HttpExceptionFilter();
  return (req, res, next) => {
    requestId(req, res);
    const context: ExecutionContext = new ExecutionContextHost(
      [req, res, next],
      DocsRoute,
      DocsRoute.prototype.serve,
    );
    try {
      guard.canActivate(context);
      next();
    } catch (error) {
      const body = errors.toBody(error);
      res.status(body.statusCode).json(body);
    }
  };
}

/** Stands for the docs routes where the guard expects a controller and handler; it carries no metadata. */
class DocsRoute {
  serve(): void {}
}

/** Serves the document at `/api/docs-json` and Swagger UI at `/api/docs`, both behind the bearer token. */
export function setupOpenApi(app: INestApplication, config: AppConfig): void {
  app.use([`/${DOCS_PATH}`, `/${DOCS_JSON_PATH}`], docsAccess(app, config));
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: DOCS_JSON_PATH,
    raw: ['json'],
  });
}
