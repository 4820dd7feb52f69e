import { createHash, randomBytes } from 'node:crypto';
import { SecretBox, SecretBoxError } from './secret-box';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const AAD = 'integration:6f1c2d9e-1111-4222-8333-944445555666:secret';
const SEALED_SHAPE = /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/;
const AUTH_FAILURE =
  'sealed value failed authentication: wrong key or associated data, or the value was altered';

function expectedKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

function segments(sealed: string): string[] {
  return sealed.split('.');
}

function withSegment(sealed: string, index: number, value: string): string {
  const parts = segments(sealed);
  parts[index] = value;
  return parts.join('.');
}

function flipBit(segment: string, byteIndex: number): string {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[byteIndex] ^= 0x01;
  return bytes.toString('base64url');
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Sets an unused low bit of the last character: the same bytes, spelled differently.
function nonCanonical(segment: string): string {
  const last = BASE64URL_ALPHABET.indexOf(segment[segment.length - 1]);
  return segment.slice(0, -1) + BASE64URL_ALPHABET[last + 1];
}

function truncated(segment: string, bytes: number): string {
  return Buffer.from(segment, 'base64url').subarray(0, bytes).toString('base64url');
}

function thrownMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the action to throw');
}

describe('SecretBox', () => {
  const box = new SecretBox({ current: KEY_A });

  describe('seal and open', () => {
    it.each<[string, string]>([
      ['empty', ''],
      ['ascii', '_0123456789abcdef0123456789abcdef'],
      ['dots and separators', 'a.b.c.d.e'],
      ['non-ASCII', 'p\u00e4ssw\u00f6rd \u{1f510}'],
      ['long', 'x'.repeat(10_000)],
    ])('round-trips a %s plaintext', (_label, plaintext) => {
      const sealed = box.seal(plaintext, AAD);
      expect(sealed).toMatch(SEALED_SHAPE);
      expect(box.open(sealed, AAD)).toBe(plaintext);
    });

    it('names the sealing key by the first 8 hex characters of its SHA-256', () => {
      const sealed = box.seal('secret', AAD);
      expect(segments(sealed)[1]).toBe(expectedKeyId(KEY_A));
      expect(box.keyId(KEY_A)).toBe(expectedKeyId(KEY_A));
      expect(box.keyId(KEY_B)).toBe(expectedKeyId(KEY_B));
    });

    it('does not reveal the plaintext in the sealed value', () => {
      const plaintext = 'VERY_DISTINCTIVE_SECRET_VALUE_0123456789';
      const sealed = box.seal(plaintext, AAD);
      expect(sealed).not.toContain(plaintext);
      expect(sealed).not.toContain(Buffer.from(plaintext).toString('base64url').slice(0, 20));
      expect(Buffer.from(segments(sealed)[3], 'base64url').length).toBe(Buffer.byteLength(plaintext));
    });

    it('uses a different nonce every time, so equal plaintexts seal differently', () => {
      const sealed = Array.from({ length: 200 }, () => box.seal('same secret', AAD));
      expect(new Set(sealed.map((value) => segments(value)[2])).size).toBe(200);
      expect(new Set(sealed).size).toBe(200);
      expect(Buffer.from(segments(sealed[0])[2], 'base64url').length).toBe(12);
    });

    it('refuses a plaintext that is not well-formed Unicode', () => {
      expect(() => box.seal('broken \ud800 surrogate', AAD)).toThrow(
        new SecretBoxError('plaintext is not well-formed Unicode'),
      );
    });
  });

  describe('open refuses altered values', () => {
    const plaintext = 'tamper-target-secret';
    const sealed = box.seal(plaintext, AAD);
    const [, keyId, nonce, ciphertext, tag] = segments(sealed);
    const other = box.seal(plaintext, AAD);

    it.each<[string, string, string]>([
      ['a flipped bit in the first nonce byte', withSegment(sealed, 2, flipBit(nonce, 0)), AUTH_FAILURE],
      ['a flipped bit in the last nonce byte', withSegment(sealed, 2, flipBit(nonce, 11)), AUTH_FAILURE],
      ['a flipped bit in the ciphertext', withSegment(sealed, 3, flipBit(ciphertext, 0)), AUTH_FAILURE],
      [
        'a flipped bit at the end of the ciphertext',
        withSegment(sealed, 3, flipBit(ciphertext, 19)),
        AUTH_FAILURE,
      ],
      ['a flipped bit in the tag', withSegment(sealed, 4, flipBit(tag, 0)), AUTH_FAILURE],
      ['a flipped bit at the end of the tag', withSegment(sealed, 4, flipBit(tag, 15)), AUTH_FAILURE],
      ['a truncated ciphertext', withSegment(sealed, 3, truncated(ciphertext, 19)), AUTH_FAILURE],
      ['an empty ciphertext', withSegment(sealed, 3, ''), AUTH_FAILURE],
      ['the tag of another sealing', withSegment(sealed, 4, segments(other)[4]), AUTH_FAILURE],
      ['the nonce of another sealing', withSegment(sealed, 2, segments(other)[2]), AUTH_FAILURE],
      ['a truncated tag', withSegment(sealed, 4, truncated(tag, 15)), 'sealed value is malformed'],
      [
        'a short nonce',
        withSegment(sealed, 2, Buffer.alloc(8).toString('base64url')),
        'sealed value is malformed',
      ],
      [
        'a non-canonical tag encoding',
        withSegment(sealed, 4, nonCanonical(tag)),
        'sealed value is malformed',
      ],
      ['padding in a segment', withSegment(sealed, 2, `${nonce}==`), 'sealed value is malformed'],
      [
        'standard base64 characters',
        withSegment(sealed, 2, `${nonce.slice(0, 15)}+`),
        'sealed value is malformed',
      ],
      ['another version', withSegment(sealed, 0, 'v2'), 'sealed value is malformed'],
      [
        'an upper-case key id',
        withSegment(sealed, 1, keyId.toUpperCase().replace(/^[0-9]/, 'A')),
        'sealed value is malformed',
      ],
      ['a missing segment', segments(sealed).slice(0, 4).join('.'), 'sealed value is malformed'],
      ['an extra segment', `${sealed}.AAAA`, 'sealed value is malformed'],
      ['an empty string', '', 'sealed value is malformed'],
      ['plain text', plaintext, 'sealed value is malformed'],
      ['an unknown key id', withSegment(sealed, 1, '00000000'), 'sealed value uses unknown key 00000000'],
    ])('%s', (_label, altered, message) => {
      const error = thrownMessage(() => box.open(altered, AAD));
      expect(error).toBe(message);
      expect(error).not.toContain(plaintext);
      expect(() => box.open(altered, AAD)).toThrow(SecretBoxError);
    });

    it('still opens the unaltered value', () => {
      expect(box.open(sealed, AAD)).toBe(plaintext);
    });
  });

  describe('associated data', () => {
    const plaintext = 'bound-to-one-row';
    const sealed = box.seal(plaintext, AAD);

    it.each<[string, string]>([
      ['another row', 'integration:00000000-0000-4000-8000-000000000000:secret'],
      ['another column of the same row', AAD.replace(':secret', ':token')],
      ['a trailing space', `${AAD} `],
      ['different case', AAD.toUpperCase()],
      ['nothing', ''],
    ])('fails to open under %s', (_label, otherAad) => {
      const error = thrownMessage(() => box.open(sealed, otherAad));
      expect(error).toBe(AUTH_FAILURE);
      expect(error).not.toContain(plaintext);
    });

    it('opens with an empty associated data only when sealed with it', () => {
      expect(box.open(box.seal(plaintext, ''), '')).toBe(plaintext);
    });
  });

  describe('key rotation', () => {
    const oldBox = new SecretBox({ current: KEY_A });
    const rotated = new SecretBox({ current: KEY_B, previous: KEY_A });
    const newOnly = new SecretBox({ current: KEY_B });
    const sealedWithOld = oldBox.seal('rotating secret', AAD);

    it('opens a value sealed with the previous key and flags it for resealing', () => {
      expect(rotated.open(sealedWithOld, AAD)).toBe('rotating secret');
      expect(rotated.needsReseal(sealedWithOld)).toBe(true);
    });

    it('seals with the current key, and that value needs no resealing', () => {
      const resealed = rotated.seal(rotated.open(sealedWithOld, AAD), AAD);
      expect(segments(resealed)[1]).toBe(expectedKeyId(KEY_B));
      expect(rotated.needsReseal(resealed)).toBe(false);
      expect(newOnly.open(resealed, AAD)).toBe('rotating secret');
    });

    it('cannot open a previous-key value once the previous key is gone', () => {
      expect(() => newOnly.open(sealedWithOld, AAD)).toThrow(
        new SecretBoxError(`sealed value uses unknown key ${expectedKeyId(KEY_A)}`),
      );
      expect(() => newOnly.needsReseal(sealedWithOld)).toThrow(SecretBoxError);
    });

    it('leaves the old box unable to open values sealed with the new key', () => {
      expect(() => oldBox.open(rotated.seal('x', AAD), AAD)).toThrow(
        new SecretBoxError(`sealed value uses unknown key ${expectedKeyId(KEY_B)}`),
      );
    });

    it('treats a previous key equal to the current one as no previous key', () => {
      const same = new SecretBox({ current: KEY_A, previous: Buffer.from(KEY_A) });
      const sealed = same.seal('s', AAD);
      expect(same.needsReseal(sealed)).toBe(false);
      expect(same.open(sealed, AAD)).toBe('s');
    });

    it.each<[string, Buffer | null | undefined]>([
      ['null', null],
      ['undefined', undefined],
    ])('accepts a %s previous key', (_label, previous) => {
      const single = new SecretBox({ current: KEY_A, previous });
      expect(single.open(sealedWithOld, AAD)).toBe('rotating secret');
      expect(single.needsReseal(sealedWithOld)).toBe(false);
    });

    it('refuses a malformed value in needsReseal', () => {
      expect(() => rotated.needsReseal('v1.nope')).toThrow(new SecretBoxError('sealed value is malformed'));
    });

    it('does not let the previous key seal', () => {
      expect(segments(rotated.seal('x', AAD))[1]).not.toBe(expectedKeyId(KEY_A));
    });
  });

  describe('constructor', () => {
    it.each<[string, Buffer, Buffer | null, string]>([
      ['an empty current key', Buffer.alloc(0), null, 'current secrets key must be exactly 32 bytes'],
      ['a 16-byte current key', Buffer.alloc(16, 1), null, 'current secrets key must be exactly 32 bytes'],
      ['a 31-byte current key', Buffer.alloc(31, 1), null, 'current secrets key must be exactly 32 bytes'],
      ['a 33-byte current key', Buffer.alloc(33, 1), null, 'current secrets key must be exactly 32 bytes'],
      ['a 64-byte current key', Buffer.alloc(64, 1), null, 'current secrets key must be exactly 32 bytes'],
      ['a 31-byte previous key', KEY_A, Buffer.alloc(31, 1), 'previous secrets key must be exactly 32 bytes'],
      ['a 33-byte previous key', KEY_A, Buffer.alloc(33, 1), 'previous secrets key must be exactly 32 bytes'],
    ])('rejects %s', (_label, current, previous, message) => {
      expect(() => new SecretBox({ current, previous })).toThrow(new Error(message));
    });

    it('rejects a current key that is not a Buffer', () => {
      expect(() => new SecretBox({ current: 'k'.repeat(32) as unknown as Buffer })).toThrow(
        'current secrets key must be exactly 32 bytes',
      );
    });

    it('keeps its own copy of the keys', () => {
      const key = Buffer.from(KEY_A);
      const own = new SecretBox({ current: key });
      const sealed = own.seal('copy', AAD);
      key.fill(0);
      expect(own.open(sealed, AAD)).toBe('copy');
    });
  });

  describe('parseKey', () => {
    const raw = randomBytes(32);

    it.each<[string, string]>([
      ['padded standard base64', raw.toString('base64')],
      ['unpadded standard base64', raw.toString('base64').replace(/=+$/, '')],
      ['url-safe base64', raw.toString('base64url')],
      ['base64 with a trailing newline', `${raw.toString('base64')}\n`],
      ['base64 surrounded by spaces', `  ${raw.toString('base64')}  `],
    ])('reads %s', (_label, text) => {
      expect(SecretBox.parseKey(text).equals(raw)).toBe(true);
    });

    it.each<[string, string, string]>([
      ['an empty string', '', 'secrets key is empty; expected the base64 of 32 random bytes'],
      ['only whitespace', ' \n', 'secrets key is empty; expected the base64 of 32 random bytes'],
      [
        'text with symbols',
        'not base64 at all!',
        'secrets key is not base64; expected the base64 of 32 random bytes',
      ],
      [
        'mixed standard and url-safe alphabets',
        `+_${raw.toString('base64url').slice(2)}`,
        'secrets key is not base64; expected the base64 of 32 random bytes',
      ],
      [
        'inner whitespace',
        `${raw.toString('base64').slice(0, 20)} ${raw.toString('base64').slice(20)}`,
        'secrets key is not base64; expected the base64 of 32 random bytes',
      ],
      [
        'a non-canonical last character',
        nonCanonical(raw.toString('base64url')),
        'secrets key is not canonical base64; expected the base64 of 32 random bytes',
      ],
      ['16 bytes', randomBytes(16).toString('base64'), 'secrets key must decode to exactly 32 bytes, got 16'],
      ['31 bytes', randomBytes(31).toString('base64'), 'secrets key must decode to exactly 32 bytes, got 31'],
      ['33 bytes', randomBytes(33).toString('base64'), 'secrets key must decode to exactly 32 bytes, got 33'],
      ['a 64-character hex key', raw.toString('hex'), 'secrets key must decode to exactly 32 bytes, got 48'],
    ])('rejects %s', (_label, text, message) => {
      const error = thrownMessage(() => SecretBox.parseKey(text));
      expect(error).toBe(message);
      if (text.trim().length > 8) {
        expect(error).not.toContain(text.trim());
      }
    });

    it('produces a key a SecretBox accepts', () => {
      const parsed = new SecretBox({ current: SecretBox.parseKey(raw.toString('base64')) });
      expect(parsed.open(parsed.seal('k', AAD), AAD)).toBe('k');
    });
  });
});
