import { AppConfig } from '../config/app-config';
import { EmbeddedDatabase } from './embedded-database';

/** Where the service's data lives: the configured PostgreSQL, or the embedded database under DATA_DIR. */
export interface DatabaseTarget {
  url: string;
  mode: 'postgres' | 'embedded';
  description: string;
  stop(): Promise<void>;
}

export async function openDatabaseTarget(config: AppConfig): Promise<DatabaseTarget> {
  if (config.databaseUrl !== null) {
    const safe = new URL(config.databaseUrl);
    safe.password = '';
    return {
      url: config.databaseUrl,
      mode: 'postgres',
      description: `PostgreSQL at ${safe.host}${safe.pathname}`,
      stop: () => Promise.resolve(),
    };
  }
  const embedded = await EmbeddedDatabase.start(config.dataDir);
  return {
    url: embedded.url,
    mode: 'embedded',
    description: `embedded PGlite at ${embedded.location} (single process only, on a private Unix socket)`,
    stop: () => embedded.stop(),
  };
}
