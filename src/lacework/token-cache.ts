import { createHash } from 'node:crypto';
import type { LaceworkConnection, LaceworkToken } from './lacework.types';

export interface TokenCacheOptions {
  /** Renew when less than this remains before `expiresAt`; 60 s by default. */
  renewBeforeMs?: number;
  now?: () => number;
}

interface CachedToken {
  fingerprint: string;
  token: LaceworkToken | null;
  mintedAt: number;
  inFlight: Promise<LaceworkToken> | null;
}

/** Connection fields a token depends on; the secret is only ever stored as part of a hash. */
type TokenIdentity = Pick<LaceworkConnection, 'integrationId' | 'organizationUrl' | 'keyId' | 'secret'>;

/** One Lacework access token per integration, shared by all callers and renewed shortly before it expires. */
export class TokenCache {
  private readonly renewBeforeMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, CachedToken>();

  constructor(options: TokenCacheOptions = {}) {
    this.renewBeforeMs = options.renewBeforeMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Returns a token that is not about to expire, calling `mint` only when none is cached; concurrent callers
   * share the same mint. A changed org URL, key id or secret discards the cached token.
   */
  get(connection: TokenIdentity, mint: () => Promise<LaceworkToken>): Promise<string> {
    const fingerprint = fingerprintOf(connection);
    let entry = this.entries.get(connection.integrationId);
    if (entry && entry.fingerprint !== fingerprint) {
      this.entries.delete(connection.integrationId);
      entry = undefined;
    }
    if (entry?.token && this.isFresh(entry.token, entry.mintedAt)) {
      return Promise.resolve(entry.token.token);
    }
    if (entry?.inFlight) {
      return entry.inFlight.then((token) => token.token);
    }
    const current: CachedToken = entry ?? { fingerprint, token: null, mintedAt: 0, inFlight: null };
    this.entries.set(connection.integrationId, current);
    const mintedAt = this.now();
    const inFlight = mint().then(
      (token) => {
        current.inFlight = null;
        // Only store if no invalidate() or key change replaced this entry meanwhile.
        if (this.entries.get(connection.integrationId) === current) {
          current.token = token;
          current.mintedAt = mintedAt;
        }
        return token;
      },
      (error: unknown) => {
        current.inFlight = null;
        throw error;
      },
    );
    current.inFlight = inFlight;
    return inFlight.then((token) => token.token);
  }

  /**
   * Forgets the cached token. With `staleToken`, only forgets it if it is still that token, so many callers
   * rejected with the same token cause a single renewal.
   */
  invalidate(integrationId: string, staleToken?: string): void {
    const entry = this.entries.get(integrationId);
    if (!entry) {
      return;
    }
    if (staleToken !== undefined && (entry.inFlight || entry.token?.token !== staleToken)) {
      return;
    }
    this.entries.delete(integrationId);
  }

  private isFresh(token: LaceworkToken, mintedAt: number): boolean {
    const lifetime = token.expiresAt.getTime() - mintedAt;
    // A token shorter-lived than the renewal margin would otherwise be renewed on every request.
    const margin = Math.min(this.renewBeforeMs, Math.max(0, lifetime / 2));
    return token.expiresAt.getTime() - this.now() > margin;
  }
}

function fingerprintOf(connection: TokenIdentity): string {
  return createHash('sha256')
    .update(connection.organizationUrl)
    .update('\0')
    .update(connection.keyId)
    .update('\0')
    .update(connection.secret)
    .digest('hex');
}
