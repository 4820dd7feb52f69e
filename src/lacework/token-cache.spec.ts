import type { LaceworkToken } from './lacework.types';
import { TokenCache } from './token-cache';

const conn = {
  integrationId: 'int-1',
  organizationUrl: 'https://acme.lacework.net',
  keyId: 'ACME_KEY',
  secret: '_secret-one',
};

function minter(lifetimeMs: number, now: () => number) {
  let count = 0;
  const mint = jest.fn((): Promise<LaceworkToken> =>
    Promise.resolve({ token: `token-${++count}`, expiresAt: new Date(now() + lifetimeMs) }),
  );
  return mint;
}

describe('TokenCache', () => {
  let clock: number;
  const now = () => clock;

  beforeEach(() => {
    clock = 1_000_000;
  });

  it('shares one mint between concurrent callers', async () => {
    const cache = new TokenCache({ now });
    let release!: (token: LaceworkToken) => void;
    const mint = jest.fn(() => new Promise<LaceworkToken>((resolve) => (release = resolve)));

    const pending = Array.from({ length: 10 }, () => cache.get(conn, mint));
    release({ token: 'shared', expiresAt: new Date(clock + 3_600_000) });

    expect(await Promise.all(pending)).toEqual(Array(10).fill('shared'));
    expect(mint).toHaveBeenCalledTimes(1);
  });

  it('reuses the token until less than renewBeforeMs remains, then renews it', async () => {
    const cache = new TokenCache({ now, renewBeforeMs: 60_000 });
    const mint = minter(3_600_000, now);

    expect(await cache.get(conn, mint)).toBe('token-1');
    clock += 3_600_000 - 60_001;
    expect(await cache.get(conn, mint)).toBe('token-1');
    clock += 2;
    expect(await cache.get(conn, mint)).toBe('token-2');
    expect(mint).toHaveBeenCalledTimes(2);
  });

  it('does not renew on every call when the token lives shorter than the margin', async () => {
    const cache = new TokenCache({ now, renewBeforeMs: 60_000 });
    const mint = minter(10_000, now);

    await cache.get(conn, mint);
    clock += 4000;
    expect(await cache.get(conn, mint)).toBe('token-1');
    clock += 2000;
    expect(await cache.get(conn, mint)).toBe('token-2');
  });

  it('drops the token when the key id or secret changes', async () => {
    const cache = new TokenCache({ now });
    const mint = minter(3_600_000, now);
    await cache.get(conn, mint);

    expect(await cache.get({ ...conn, secret: '_secret-two' }, mint)).toBe('token-2');
    expect(await cache.get({ ...conn, secret: '_secret-two', keyId: 'OTHER' }, mint)).toBe('token-3');
    expect(await cache.get({ ...conn, secret: '_secret-two', keyId: 'OTHER' }, mint)).toBe('token-3');
  });

  it('keeps integrations apart', async () => {
    const cache = new TokenCache({ now });
    const mint = minter(3_600_000, now);

    expect(await cache.get(conn, mint)).toBe('token-1');
    expect(await cache.get({ ...conn, integrationId: 'int-2' }, mint)).toBe('token-2');
    expect(await cache.get(conn, mint)).toBe('token-1');
  });

  it('mints again after invalidate', async () => {
    const cache = new TokenCache({ now });
    const mint = minter(3_600_000, now);
    await cache.get(conn, mint);

    cache.invalidate('int-1');

    expect(await cache.get(conn, mint)).toBe('token-2');
  });

  it('renews once when many callers report the same stale token', async () => {
    const cache = new TokenCache({ now });
    const mint = minter(3_600_000, now);
    const stale = await cache.get(conn, mint);

    const renewed = await Promise.all(
      Array.from({ length: 5 }, () => {
        cache.invalidate('int-1', stale);
        return cache.get(conn, mint);
      }),
    );

    expect(renewed).toEqual(Array(5).fill('token-2'));
    cache.invalidate('int-1', stale);
    expect(await cache.get(conn, mint)).toBe('token-2');
    expect(mint).toHaveBeenCalledTimes(2);
  });

  it('passes a failed mint to every waiter and tries again on the next call', async () => {
    const cache = new TokenCache({ now });
    const mint = jest
      .fn<Promise<LaceworkToken>, []>()
      .mockRejectedValueOnce(new Error('refused'))
      .mockResolvedValueOnce({ token: 'later', expiresAt: new Date(clock + 3_600_000) });

    const results = await Promise.allSettled([cache.get(conn, mint), cache.get(conn, mint)]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await cache.get(conn, mint)).toBe('later');
    expect(mint).toHaveBeenCalledTimes(2);
  });

  it('does not store a token whose mint was overtaken by invalidate', async () => {
    const cache = new TokenCache({ now });
    let release!: (token: LaceworkToken) => void;
    const slow = jest.fn(() => new Promise<LaceworkToken>((resolve) => (release = resolve)));
    const pending = cache.get(conn, slow);

    cache.invalidate('int-1');
    release({ token: 'overtaken', expiresAt: new Date(clock + 3_600_000) });
    await pending;

    expect(await cache.get(conn, minter(3_600_000, now))).toBe('token-1');
  });
});
