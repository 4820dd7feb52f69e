import { createHash, timingSafeEqual } from 'node:crypto';

export type Role = 'admin' | 'viewer' | 'metrics' | 'writeback';

/** Compares a presented bearer token with the configured ones in constant time. */
export class TokenMatcher {
  private readonly tokens: { role: Role; digest: Buffer }[];

  constructor(tokens: Partial<Record<Role, string | null>>) {
    this.tokens = (Object.entries(tokens) as [Role, string | null][])
      .filter(([, token]) => typeof token === 'string' && token !== '')
      .map(([role, token]) => ({ role, digest: digest(token as string) }));
  }

  /** The role of the token, or null when it matches none. Every configured token is compared, always. */
  match(presented: string): Role | null {
    const candidate = digest(presented);
    let found: Role | null = null;
    for (const { role, digest: expected } of this.tokens) {
      if (timingSafeEqual(candidate, expected) && found === null) {
        found = role;
      }
    }
    return found;
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
