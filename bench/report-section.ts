import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';

/**
 * Replaces one benchmark's part of a report (between its `name:start` and `name:end` markers), leaving the other
 * parts alone, and formats the file like every other one of the repository so `npm run format:check` stays clean.
 */
export async function writeReportSection(report: string, name: string, section: string): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const current = existsSync(report) ? readFileSync(report, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${section.trimEnd()}\n${end}`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next =
    from !== -1 && to > from
      ? current.slice(0, from) + block + current.slice(to + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  const options = (await resolveConfig(report)) ?? {};
  writeFileSync(report, await format(next, { ...options, filepath: report }));
}
