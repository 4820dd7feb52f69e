import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** The file name libpq and `pg` look for in a socket directory, for the default port. */
const SOCKET_FILE = '.s.PGSQL.5432';
/** sun_path holds 108 bytes on Linux (104 on macOS), terminator included. */
const MAX_SOCKET_PATH = 103;

/**
 * PGlite served in-process over the PostgreSQL wire protocol, so the app talks to it with the same `pg` driver and
 * migrations as to a real server. PGlite has no authentication, so a database under DATA_DIR is served on a Unix
 * socket in `DATA_DIR/socket` (mode 0700): only the service's own user can connect. For one process only.
 */
export class EmbeddedDatabase {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
    readonly location: string,
  ) {}

  /** Opens (or creates) the database under `dataDir/pgdata`; `null` keeps it in memory, on 127.0.0.1 (tests). */
  static async start(dataDir: string | null, maxConnections = 20): Promise<EmbeddedDatabase> {
    if (dataDir === null) {
      const db = await PGlite.create();
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
      await server.start();
      return new EmbeddedDatabase(
        db,
        server,
        `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
        'memory',
      );
    }
    const location = resolve(join(dataDir, 'pgdata'));
    const socketDir = resolve(join(dataDir, 'socket'));
    const socketPath = join(socketDir, SOCKET_FILE);
    if (socketPath.length > MAX_SOCKET_PATH) {
      throw new Error(
        `DATA_DIR: ${socketPath} is longer than a Unix socket path may be (${MAX_SOCKET_PATH}); choose a shorter DATA_DIR`,
      );
    }
    mkdirSync(location, { recursive: true, mode: 0o700 });
    mkdirSync(socketDir, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing directory's mode alone; the socket's privacy rests on this one.
    chmodSync(socketDir, 0o700);
    await removeStaleSocket(socketPath);
    const db = await PGlite.create(location);
    const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections });
    await server.start();
    const url = `postgres://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}&sslmode=disable`;
    return new EmbeddedDatabase(db, server, url, location);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await this.db.close();
  }
}

/** A socket file left by a process that died is removed; one that still answers means DATA_DIR is in use. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  if (!existsSync(socketPath)) {
    return;
  }
  const answers = await new Promise<boolean>((done) => {
    const probe = createConnection({ path: socketPath });
    probe.once('connect', () => {
      probe.destroy();
      done(true);
    });
    probe.once('error', () => done(false));
  });
  if (answers) {
    throw new Error(`DATA_DIR: another process serves the embedded database at ${socketPath}`);
  }
  unlinkSync(socketPath);
}
