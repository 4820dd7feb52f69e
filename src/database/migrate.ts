import { DataSource } from 'typeorm';
import { loadConfig } from '../config/load-config';
import { ConfigValidationError } from '../config/env.validation';
import { buildDataSourceOptions } from './data-source';
import { openDatabaseTarget } from './database-target';

/** `npm run migration:run`: applies pending migrations to the configured (or embedded) database and exits. */
async function main(): Promise<void> {
  const { config } = loadConfig(process.env);
  const target = await openDatabaseTarget(config);
  const dataSource = new DataSource(buildDataSourceOptions(target.url, 2));
  await dataSource.initialize();
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  process.stdout.write(
    `${target.description}: ${applied.length} migration(s) applied${applied.map((m) => `\n  ${m.name}`).join('')}\n`,
  );
  await dataSource.destroy();
  await target.stop();
}

main().catch((error: unknown) => {
  if (error instanceof ConfigValidationError) {
    process.stderr.write(error.problems.join('\n') + '\n');
  } else {
    process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
