import { InvalidInputError } from '../common/domain.errors';

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const RESERVED =
  /^(host|content-type|content-length|transfer-encoding|connection|webhook-.*|x-lacework-.*|x-alert-.*|x-integration-id)$/i;
const MAX_HEADERS = 20;

/** Checks the static headers of a destination; every problem names `headers.<name>`. */
export function validateStaticHeaders(headers: Record<string, unknown>): Record<string, string> {
  const entries = Object.entries(headers);
  if (entries.length > MAX_HEADERS) {
    throw new InvalidInputError('headers', `at most ${MAX_HEADERS} headers`);
  }
  const result: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!TOKEN.test(name)) {
      throw new InvalidInputError('headers', `"${name.slice(0, 100)}" is not a valid header name`);
    }
    if (RESERVED.test(name)) {
      throw new InvalidInputError(`headers.${name}`, 'is set by the service and cannot be overridden');
    }
    if (typeof value !== 'string' || value.length > 4096 || /[\r\n\0]/.test(value)) {
      throw new InvalidInputError(
        `headers.${name}`,
        'must be a string of at most 4096 characters without line breaks',
      );
    }
    result[name.toLowerCase()] = value;
  }
  return result;
}
