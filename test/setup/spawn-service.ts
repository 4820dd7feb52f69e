import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function projectRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) {
    dir = dirname(dir);
  }
  return dir;
}

/** The built service; works from the sources (jest) and from dist/ (the benchmark). */
export const BUILT_MAIN = join(projectRoot(__dirname), 'dist', 'src', 'main.js');

export interface SpawnedService {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the base URL once the service logs that it listens. */
  ready(timeoutMs?: number): Promise<string>;
  exited(): Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs the built service (`npm test` builds first) as a child process with exactly the given environment. */
export function spawnService(env: Record<string, string>): SpawnedService {
  const child = spawn(process.execPath, [BUILT_MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited: () => exit,
    ready: (timeoutMs = 30_000) =>
      new Promise<string>((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          const match = /listening on (http:\/\/[^\s"]+)/.exec(out);
          if (match) {
            clearInterval(poll);
            resolve(match[1]);
          } else if (child.exitCode !== null || Date.now() - started > timeoutMs) {
            clearInterval(poll);
            reject(new Error(`service did not start (exit ${child.exitCode}):\n${err}\n${out.slice(-2000)}`));
          }
        }, 50);
      }),
    kill: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null) {
        child.kill(signal);
      }
      return exit;
    },
  };
}
