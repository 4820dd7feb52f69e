import { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { format, resolveConfig } from 'prettier';

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits for `/health` to answer 200, failing early when the service exits. */
export async function waitForHealth(
  baseUrl: string,
  child: ChildProcess,
  stderr: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`the service exited with ${child.exitCode}:\n${stderr()}`);
    }
    try {
      if ((await fetch(`${baseUrl}/health`)).status === 200) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the service did not become healthy within 60 s:\n${stderr()}`);
}

/** Replaces one benchmark's part of the report (between its markers), leaving the other parts alone. */
export async function writeReportSection(
  report: string,
  start: string,
  end: string,
  section: string,
): Promise<void> {
  const current = existsSync(report) ? readFileSync(report, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${section.trimEnd()}\n${end}`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from !== -1 && to > from
      ? current.slice(0, from) + block + current.slice(to + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  // Formatted like every other file of the repository, so `npm run format:check` stays clean.
  const options = (await resolveConfig(report)) ?? {};
  writeFileSync(report, await format(next, { ...options, filepath: report }));
}
