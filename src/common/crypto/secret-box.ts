import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Keys a SecretBox seals and opens with: `current` seals, `previous` (an older key being rotated out) only opens. */
export interface SecretBoxKeys {
  current: Buffer;
  previous?: Buffer | null;
}

/** A sealed value could not be opened or read; the message never carries the plaintext or the key. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const VERSION = 'v1';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const BASE64URL_UNPADDED = /^[A-Za-z0-9_-]*$/;
const KEY_ID = /^[0-9a-f]{8}$/;

interface SealedParts {
  keyId: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function computeKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

// Only the canonical encoding is accepted, so a value has exactly one spelling and every changed character counts.
function decodeBase64Url(segment: string): Buffer | null {
  if (!BASE64URL_UNPADDED.test(segment)) {
    return null;
  }
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? bytes : null;
}

function parseSealed(sealed: string): SealedParts {
  const segments = sealed.split('.');
  if (segments.length !== 5 || segments[0] !== VERSION || !KEY_ID.test(segments[1])) {
    throw new SecretBoxError('sealed value is malformed');
  }
  const nonce = decodeBase64Url(segments[2]);
  const ciphertext = decodeBase64Url(segments[3]);
  const tag = decodeBase64Url(segments[4]);
  if (nonce?.length !== NONCE_BYTES || ciphertext === null || tag?.length !== TAG_BYTES) {
    throw new SecretBoxError('sealed value is malformed');
  }
  return { keyId: segments[1], nonce, ciphertext, tag };
}

function assertKey(key: Buffer, name: string): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new Error(`${name} must be exactly ${KEY_BYTES} bytes`);
  }
}

/**
 * AES-256-GCM encryption of secrets at rest. A sealed value reads `v1.<keyId>.<nonce>.<ciphertext>.<tag>` (base64url),
 * and is bound through GCM's associated data to where it is stored, so a value copied to another row does not open.
 */
export class SecretBox {
  private readonly current: { id: string; key: Buffer };
  private readonly previous: { id: string; key: Buffer } | null;

  constructor(keys: SecretBoxKeys) {
    assertKey(keys.current, 'current secrets key');
    this.current = { id: computeKeyId(keys.current), key: Buffer.from(keys.current) };
    const previous = keys.previous ?? null;
    if (previous !== null) {
      assertKey(previous, 'previous secrets key');
    }
    if (previous === null || previous.equals(keys.current)) {
      this.previous = null;
      return;
    }
    const previousId = computeKeyId(previous);
    if (previousId === this.current.id) {
      throw new Error('current and previous secrets keys have the same key id; generate a new key');
    }
    this.previous = { id: previousId, key: Buffer.from(previous) };
  }

  /**
   * Reads a key given as base64 (standard or url-safe, padding optional, surrounding whitespace ignored).
   * @throws Error when the text is not base64 or does not decode to exactly 32 bytes; the message omits the text.
   */
  static parseKey(base64: string): Buffer {
    const text = typeof base64 === 'string' ? base64.trim() : '';
    if (text === '') {
      throw new Error('secrets key is empty; expected the base64 of 32 random bytes');
    }
    if (!BASE64.test(text) && !BASE64URL.test(text)) {
      throw new Error('secrets key is not base64; expected the base64 of 32 random bytes');
    }
    const unpadded = text.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
    const key = decodeBase64Url(unpadded);
    if (key === null) {
      throw new Error('secrets key is not canonical base64; expected the base64 of 32 random bytes');
    }
    if (key.length !== KEY_BYTES) {
      throw new Error(`secrets key must decode to exactly ${KEY_BYTES} bytes, got ${key.length}`);
    }
    return key;
  }

  /** The first 8 hex characters of the SHA-256 of `key`: names a key in sealed values without revealing it. */
  keyId(key: Buffer): string {
    return computeKeyId(key);
  }

  /**
   * Encrypts `plaintext` with the current key and a fresh random nonce, bound to `associatedData`
   * (e.g. `integration:<uuid>:secret`).
   */
  seal(plaintext: string, associatedData: string): string {
    const data = Buffer.from(plaintext, 'utf8');
    if (data.toString('utf8') !== plaintext) {
      throw new SecretBoxError('plaintext is not well-formed Unicode');
    }
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.current.id, nonce, ciphertext, tag]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /**
   * Decrypts a value sealed with the current or the previous key under the same `associatedData`.
   * @throws SecretBoxError when the value is malformed, names an unknown key, or fails authentication.
   */
  open(sealed: string, associatedData: string): string {
    const parts = parseSealed(sealed);
    const key = this.keyFor(parts.keyId);
    if (key === null) {
      throw new SecretBoxError(`sealed value uses unknown key ${parts.keyId}`);
    }
    const decipher = createDecipheriv(ALGORITHM, key, parts.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(parts.tag);
    try {
      return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        'sealed value failed authentication: wrong key or associated data, or the value was altered',
      );
    }
  }

  /**
   * True when `sealed` was sealed with the previous key and should be sealed again with the current one.
   * @throws SecretBoxError when the value is malformed or names a key this box does not hold.
   */
  needsReseal(sealed: string): boolean {
    const { keyId } = parseSealed(sealed);
    if (keyId === this.current.id) {
      return false;
    }
    if (keyId === this.previous?.id) {
      return true;
    }
    throw new SecretBoxError(`sealed value uses unknown key ${keyId}`);
  }

  private keyFor(keyId: string): Buffer | null {
    if (keyId === this.current.id) {
      return this.current.key;
    }
    return keyId === this.previous?.id ? this.previous.key : null;
  }
}
