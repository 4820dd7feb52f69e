import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigValidationError } from './config/env.validation';
import { loadConfig, LoadedConfig } from './config/load-config';
import { openDatabaseTarget } from './database/database-target';

function loadConfigOrExit(): LoadedConfig {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`configuration error:\n${error.problems.map((p) => `  ${p}`).join('\n')}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function bootstrap(): Promise<void> {
  const startedAt = Date.now();
  const { config, generatedAdminToken } = loadConfigOrExit();
  const target = await openDatabaseTarget(config);
  const app = await createApp(config, target.url);
  const logger = new Logger('Bootstrap');
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      return;
    }
    stopping = true;
    logger.log(`${signal}: stopping (finishing in-flight work, closing the database)`);
    // app.close() runs every provider's shutdown hook: workers stop claiming and release what they hold.
    await app.close();
    await target.stop();
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(signal));
  }
  await app.listen(config.port, config.host);
  const address = await app.getUrl();
  logger.log(`database: ${target.description}`);
  logger.log(`listening on ${address} (ready in ${Date.now() - startedAt} ms)`);
  if (generatedAdminToken?.createdNow === true) {
    // Printed once, on the start that generated it, so a newcomer can call the API; later starts only say where it
    // is kept, so it does not pile up in container and journal logs.
    process.stdout.write(
      `\nAdmin API token (generated now, kept in ${generatedAdminToken.file}):\n  ${config.adminApiToken}\n` +
        `Try: curl -H "Authorization: Bearer ${config.adminApiToken}" ${address.replace('[::1]', '127.0.0.1')}/api/v1/integrations\n\n`,
    );
  } else if (generatedAdminToken !== null) {
    logger.log(`admin API token: the one generated on the first start, kept in ${generatedAdminToken.file}`);
  }
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`start-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
