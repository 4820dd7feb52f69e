import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PGlite served in-process over the PostgreSQL wire protocol on 127.0.0.1, so the app talks to it with the same
 * `pg` driver and migrations as to a real server. For one process only: PGlite is a single-user database.
 */
export class EmbeddedDatabase {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
    readonly location: string,
  ) {}

  /** Opens (or creates) the database under `dataDir/pgdata`; `null` keeps it in memory (tests). */
  static async start(dataDir: string | null, maxConnections = 20): Promise<EmbeddedDatabase> {
    let location = 'memory';
    let db: PGlite;
    if (dataDir === null) {
      db = await PGlite.create();
    } else {
      location = resolve(join(dataDir, 'pgdata'));
      mkdirSync(location, { recursive: true, mode: 0o700 });
      db = await PGlite.create(location);
    }
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
    await server.start();
    const url = `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
    return new EmbeddedDatabase(db, server, url, location);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}
