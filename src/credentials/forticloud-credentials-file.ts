/** The two values a FortiCloud API credentials file carries, or the line that is missing or wrong. */
export type FortiCloudCredentialsResult =
  | { ok: true; apiId: string; password: string }
  | { ok: false; field: 'apiId' | 'password' | ''; reason: string };

const FIELDS = { apiid: 'apiId', password: 'password' } as const;
type Field = (typeof FIELDS)[keyof typeof FIELDS];

/** True when the text looks like `key: value` lines rather than JSON. */
export function isFortiCloudCredentialsText(text: string): boolean {
  return !text.trimStart().startsWith('{') && /^\s*(apiId|password)\s*:/im.test(text);
}

/**
 * Reads the text file of FortiCloud API credentials (`apiId: …` and `password: …` lines) as Lacework's CLI does: lines
 * split on LF or CRLF, keys and values trimmed, blank and unknown lines skipped. The file names no account.
 * Failures name the missing or repeated line, never its value.
 */
export function parseFortiCloudCredentials(text: string): FortiCloudCredentialsResult {
  const found: Partial<Record<Field, string>> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) {
      continue;
    }
    const field = FIELDS[line.slice(0, colon).trim().toLowerCase() as keyof typeof FIELDS] as
      Field | undefined;
    if (field === undefined) {
      continue;
    }
    if (found[field] !== undefined) {
      return { ok: false, field, reason: 'appears more than once' };
    }
    found[field] = line.slice(colon + 1).trim();
  }
  if (found.apiId === undefined || found.apiId === '') {
    return { ok: false, field: 'apiId', reason: 'line is missing (expected "apiId: <key id>")' };
  }
  if (found.password === undefined || found.password === '') {
    return { ok: false, field: 'password', reason: 'line is missing (expected "password: <secret>")' };
  }
  return { ok: true, apiId: found.apiId, password: found.password };
}
