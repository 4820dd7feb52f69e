import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { generateSigningSecret, parseSigningSecret, signWebhook, webhookHeaders } from './webhook-signature';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function verifies(secret: string, body: string, headers: Record<string, string>): boolean {
  try {
    new Webhook(secret).verify(body, headers, { jsonParse: false });
    return true;
  } catch {
    return false;
  }
}

describe('generateSigningSecret', () => {
  it('returns whsec_ and the base64 of 32 random bytes by default', () => {
    const secret = generateSigningSecret();
    expect(secret.startsWith('whsec_')).toBe(true);
    expect(parseSigningSecret(secret)).toHaveLength(32);
  });

  it('honours a requested length and never repeats itself', () => {
    expect(parseSigningSecret(generateSigningSecret(48))).toHaveLength(48);
    expect(generateSigningSecret()).not.toBe(generateSigningSecret());
  });

  it.each([0, 23, 65, 32.5, Number.NaN])('refuses a length of %p bytes', (bytes) => {
    expect(() => generateSigningSecret(bytes)).toThrow(RangeError);
  });
});

describe('parseSigningSecret', () => {
  it('decodes the key bytes', () => {
    const key = Buffer.alloc(24, 7);
    expect(parseSigningSecret(`whsec_${key.toString('base64')}`).equals(key)).toBe(true);
  });

  it.each([
    ['no prefix', Buffer.alloc(32, 1).toString('base64'), /start with "whsec_"/],
    ['empty key', 'whsec_', /base64/],
    ['url-safe alphabet', `whsec_${'_-'.repeat(16)}`, /base64/],
    ['missing padding', `whsec_${Buffer.alloc(25, 1).toString('base64').replace(/=+$/, '')}`, /base64/],
    ['non-canonical trailing bits', `whsec_${'A'.repeat(42)}B=`, /base64/],
    ['16 bytes', `whsec_${Buffer.alloc(16, 1).toString('base64')}`, /24\.\.64 bytes, got 16/],
    ['65 bytes', `whsec_${Buffer.alloc(65, 1).toString('base64')}`, /24\.\.64 bytes, got 65/],
  ])('rejects %s with a clear message', (_label, secret, message) => {
    expect(() => parseSigningSecret(secret)).toThrow(message);
  });

  it('never echoes the secret in its error', () => {
    const secret = `whsec_${Buffer.alloc(16, 9).toString('base64')}`;
    expect(() => parseSigningSecret(secret)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secret.slice(6)) }),
    );
  });
});

describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', () => {
    expect(
      signWebhook({
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: 1614265330,
        body: '{"test": 2432232314}',
        secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      }),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('emits one v1 signature per secret, in order', () => {
    const [a, b] = [generateSigningSecret(), generateSigningSecret()];
    const input = { id: 'alert-1-v1', timestamp: 1700000000, body: '{}' };
    const both = signWebhook({ ...input, secrets: [a, b] });
    expect(both).toBe(
      `${signWebhook({ ...input, secrets: [a] })} ${signWebhook({ ...input, secrets: [b] })}`,
    );
    expect(both.split(' ').every((part) => /^v1,[A-Za-z0-9+/]{43}=$/.test(part))).toBe(true);
  });

  it('is accepted by the standardwebhooks verifier for each of two secrets', () => {
    const [current, rotated] = [generateSigningSecret(), generateSigningSecret(24)];
    const body = '{"alertId":967278,"mid":4325415338702892297,"name":"caf\u00e9 \u2603"}';
    const headers = { ...webhookHeaders('alert-967278-v2', nowSeconds(), body, [current, rotated]) };
    expect(verifies(current, body, headers)).toBe(true);
    expect(verifies(rotated, body, headers)).toBe(true);
    expect(verifies(generateSigningSecret(), body, headers)).toBe(false);
  });

  it('is rejected when the body, id or timestamp is tampered with', () => {
    const secret = generateSigningSecret();
    const body = '{"mid":4325415338702892297}';
    const headers = { ...webhookHeaders('msg-1', nowSeconds(), body, [secret]) };
    expect(verifies(secret, body, headers)).toBe(true);
    expect(verifies(secret, '{"mid":4325415338702892296}', headers)).toBe(false);
    expect(verifies(secret, `${body} `, headers)).toBe(false);
    expect(verifies(secret, body, { ...headers, 'webhook-id': 'msg-2' })).toBe(false);
    expect(
      verifies(secret, body, {
        ...headers,
        'webhook-timestamp': String(Number(headers['webhook-timestamp']) - 1),
      }),
    ).toBe(false);
  });

  it('verifies for any body text and id (property)', () => {
    const secret = generateSigningSecret();
    const timestamp = nowSeconds();
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.stringMatching(/^[\x21-\x7e]{1,40}$/),
        (body, id) => {
          const headers = { ...webhookHeaders(id, timestamp, body, [secret]) };
          return verifies(secret, body, headers);
        },
      ),
      { numRuns: 200 },
    );
  });

  it.each([
    ['no secrets', { id: 'm', timestamp: 1, body: '', secrets: [] }, /at least one/],
    ['an empty id', { id: '', timestamp: 1, body: '', secrets: ['x'] }, /webhook id/],
    ['an id with a line break', { id: 'a\r\nb', timestamp: 1, body: '', secrets: ['x'] }, /webhook id/],
    ['a fractional timestamp', { id: 'm', timestamp: 1.5, body: '', secrets: ['x'] }, /timestamp/],
    [
      'a timestamp in milliseconds beyond safe range',
      { id: 'm', timestamp: 2 ** 60, body: '', secrets: [] },
      /timestamp/,
    ],
    ['a malformed secret', { id: 'm', timestamp: 1, body: '', secrets: ['whsec_short'] }, /signing secret/],
  ])('refuses %s', (_label, input, message) => {
    expect(() => signWebhook(input)).toThrow(message);
  });
});

describe('webhookHeaders', () => {
  it('returns the three Standard Webhooks headers', () => {
    const secret = generateSigningSecret();
    const headers = webhookHeaders('msg-9', 1700000123, 'body', [secret]);
    expect(headers).toEqual({
      'webhook-id': 'msg-9',
      'webhook-timestamp': '1700000123',
      'webhook-signature': signWebhook({
        id: 'msg-9',
        timestamp: 1700000123,
        body: 'body',
        secrets: [secret],
      }),
    });
  });
});
