import { join } from 'node:path';
import { DataSource, DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';

/** The one definition of our database connection, used by the app, the migration command and tests. */
export function buildDataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [join(__dirname, '..', '**', '*.entity.{ts,js}')],
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Failed queries surface as errors our code logs through pino (with redaction); TypeORM's own console logger
    // would print query parameters unredacted.
    logging: false,
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 10_000,
      // Keep TCP alive so a PostgreSQL restart is noticed and the pool replaces dead connections.
      keepAlive: true,
    },
  };
}

/** Used by the TypeORM CLI (`migration:generate`); the service itself builds its options at start-up. */
export default new DataSource(
  buildDataSourceOptions(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
);
