import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'lwh_';

/** A new hook token: 32 random bytes, URL-safe, recognisable by its prefix. */
export function generateHookToken(): string {
  return `${PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** Compares in constant time whatever the lengths (both sides hashed first). */
export function hookTokenMatches(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Where a hook token is sealed: bound to its integration, so a sealed value copied to another row does not open. */
export function hookTokenContext(integrationId: string): string {
  return `lacework_hooks.token:${integrationId}`;
}
