/**
 * What a log line may say about a failed request's error. A database error's message, detail and parameters quote
 * stored and submitted values (alert data, names, input), so for those only the class, the SQL state and a query
 * name are kept; the call site stays in the stack, without its first line (the message).
 */
export function errorLogFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) {
    return { errorClass: typeof error };
  }
  const errorClass = error.constructor.name;
  const stack = error.stack?.split('\n').slice(1).join('\n');
  const query = (error as { query?: unknown }).query;
  const sqlState = sqlStateOf(error);
  if (typeof query === 'string' || sqlState !== undefined) {
    return {
      errorClass,
      sqlState,
      query: typeof query === 'string' ? queryName(query) : undefined,
      stack,
    };
  }
  return { errorClass, message: error.message, stack };
}

/** `INSERT integrations`, `SELECT sync_runs`: the statement and the first table it names. */
export function queryName(sql: string): string {
  const text = sql
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const verb = /^\w+/.exec(text)?.[0].toUpperCase() ?? 'QUERY';
  const table = /\b(?:from|into|update|join)\s+"?([A-Za-z_][\w$]*)"?/i.exec(text)?.[1];
  return table === undefined ? verb : `${verb} ${table}`;
}

function sqlStateOf(error: Error): string | undefined {
  const candidates = [
    (error as { driverError?: { code?: unknown } }).driverError?.code,
    (error as { code?: unknown }).code,
  ];
  const code = candidates.find((c): c is string => typeof c === 'string' && /^[0-9A-Z]{5}$/.test(c));
  return code;
}
