import { createHmac, randomBytes } from 'node:crypto';

/** Prefix of a Standard Webhooks signing secret. */
export const SIGNING_SECRET_PREFIX = 'whsec_';
/** Fewest key bytes a signing secret may carry. */
export const MIN_SIGNING_SECRET_BYTES = 24;
/** Most key bytes a signing secret may carry. */
export const MAX_SIGNING_SECRET_BYTES = 64;

/** The three headers of a Standard Webhooks request. */
export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** What one signature covers, and the secrets to sign it with (current first, then a rotated one still valid). */
export interface WebhookSignatureInput {
  id: string;
  timestamp: number;
  body: string;
  secrets: readonly string[];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// Header values must stay on one line and be printable ASCII, or the request could be split or refused.
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/**
 * Creates a new signing secret: `whsec_` followed by the base64 of `bytes` random bytes.
 * @throws RangeError when `bytes` is not an integer within 24..64.
 */
export function generateSigningSecret(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < MIN_SIGNING_SECRET_BYTES || bytes > MAX_SIGNING_SECRET_BYTES) {
    throw new RangeError(
      `signing secret length must be an integer from ${MIN_SIGNING_SECRET_BYTES} to ${MAX_SIGNING_SECRET_BYTES} bytes, got ${bytes}`,
    );
  }
  return SIGNING_SECRET_PREFIX + randomBytes(bytes).toString('base64');
}

/**
 * Returns the HMAC key held by a `whsec_<base64>` secret.
 * @throws Error naming what is wrong (never echoing the secret) when the prefix is missing, the rest is not
 * canonical base64, or the key is not 24..64 bytes long.
 */
export function parseSigningSecret(secret: string): Buffer {
  if (typeof secret !== 'string' || !secret.startsWith(SIGNING_SECRET_PREFIX)) {
    throw new Error(`signing secret must start with "${SIGNING_SECRET_PREFIX}"`);
  }
  const encoded = secret.slice(SIGNING_SECRET_PREFIX.length);
  if (encoded.length === 0 || encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
    throw new Error(`signing secret must be "${SIGNING_SECRET_PREFIX}" followed by padded standard base64`);
  }
  const key = Buffer.from(encoded, 'base64');
  // Node's decoder skips stray bits silently; a secret that does not re-encode to itself was mistyped.
  if (key.toString('base64') !== encoded) {
    throw new Error(`signing secret must be "${SIGNING_SECRET_PREFIX}" followed by padded standard base64`);
  }
  if (key.length < MIN_SIGNING_SECRET_BYTES || key.length > MAX_SIGNING_SECRET_BYTES) {
    throw new Error(
      `signing secret must decode to ${MIN_SIGNING_SECRET_BYTES}..${MAX_SIGNING_SECRET_BYTES} bytes, got ${key.length}`,
    );
  }
  return key;
}

/**
 * Computes the `webhook-signature` header value: one `v1,<base64 HMAC-SHA256>` of `<id>.<timestamp>.<body>` per
 * secret, space separated, in the order of `secrets`.
 * @throws Error when there is no secret, a secret is malformed, the id is empty or not header-safe, or the
 * timestamp is not a non-negative integer of seconds.
 */
export function signWebhook(input: WebhookSignatureInput): string {
  assertSignable(input.id, input.timestamp);
  if (input.secrets.length === 0) {
    throw new Error('at least one signing secret is required');
  }
  const content = `${input.id}.${input.timestamp}.${input.body}`;
  return input.secrets
    .map((secret) => {
      const digest = createHmac('sha256', parseSigningSecret(secret))
        .update(content, 'utf8')
        .digest('base64');
      return `v1,${digest}`;
    })
    .join(' ');
}

/**
 * Builds the Standard Webhooks headers for one request.
 * @param id stable message id; the receiver deduplicates on it, so retries of the same message must reuse it
 * @param timestampSeconds unix time of this attempt, in whole seconds
 * @param body the exact text that is sent
 * @param secrets current secret first, then any rotated secret still accepted downstream
 */
export function webhookHeaders(
  id: string,
  timestampSeconds: number,
  body: string,
  secrets: readonly string[],
): WebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook({ id, timestamp: timestampSeconds, body, secrets }),
  };
}

function assertSignable(id: string, timestamp: number): void {
  if (!HEADER_SAFE.test(id)) {
    throw new Error('webhook id must be non-empty printable ASCII without spaces');
  }
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new Error(`webhook timestamp must be a non-negative integer of unix seconds, got ${timestamp}`);
  }
}
