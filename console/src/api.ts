import { session } from './session';

/** An answer that was not 2xx, with the API's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const API = '/api/v1';

interface ErrorBody {
  message?: unknown;
  error?: unknown;
}

function messageOf(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as ErrorBody;
    const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    if (typeof message === 'string' && message !== '') {
      return `${status}: ${message}`;
    }
  } catch {
    // not JSON: fall through to the status line
  }
  return `${status}: ${text === '' ? 'request failed' : text.slice(0, 300)}`;
}

/** Calls the REST API with the session's Bearer token; throws ApiError with the API's message. */
export async function request(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<Response> {
  const bearer = token ?? session.token() ?? '';
  let res: Response;
  try {
    res = await fetch(`${API}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${bearer}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
    });
  } catch (error) {
    throw new ApiError(
      0,
      `the service did not answer (${error instanceof Error ? error.message : 'network error'})`,
    );
  }
  if (!res.ok) {
    if (res.status === 401 && token === undefined) {
      // The session's token no longer opens the API (rotated, or the service restarted with new tokens).
      session.signOut();
      window.dispatchEvent(new HashChangeEvent('hashchange'));
    }
    throw new ApiError(res.status, messageOf(res.status, await res.text()));
  }
  return res;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await request('GET', path)).json()) as T;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T | null> {
  const res = await request(method, path, body);
  const text = await res.text();
  return text === '' ? null : (JSON.parse(text) as T);
}

/** `?a=1&b=2` from the defined values; arrays repeat the key. */
export function query(params: Record<string, string | string[] | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') {
      continue;
    }
    for (const v of Array.isArray(value) ? value : [value]) {
      q.append(key, String(v));
    }
  }
  const text = q.toString();
  return text === '' ? '' : `?${text}`;
}
