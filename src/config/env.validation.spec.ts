import { parse } from 'pg-connection-string';
import { ConfigValidationError, validateEnv } from './env.validation';

const BASE = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  ADMIN_API_TOKEN: 'a'.repeat(40),
  SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    validateEnv({ ...BASE, ...env });
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      return error.problems;
    }
    throw error;
  }
  return [];
}

describe('validateEnv: tokens', () => {
  it('refuses a metrics token equal to the admin or the viewer token', () => {
    expect(problemsOf({ METRICS_TOKEN: BASE.ADMIN_API_TOKEN })).toEqual([
      'METRICS_TOKEN: must differ from ADMIN_API_TOKEN and VIEWER_API_TOKEN',
    ]);
    const viewer = 'v'.repeat(32);
    expect(problemsOf({ VIEWER_API_TOKEN: viewer, METRICS_TOKEN: viewer })).toEqual([
      'METRICS_TOKEN: must differ from ADMIN_API_TOKEN and VIEWER_API_TOKEN',
    ]);
    expect(problemsOf({ VIEWER_API_TOKEN: viewer, METRICS_TOKEN: 'm'.repeat(16) })).toEqual([]);
  });

  it('asks the viewer token for the admin token length', () => {
    expect(problemsOf({ VIEWER_API_TOKEN: 'v'.repeat(31) })).toEqual([
      'VIEWER_API_TOKEN: must be at least 32 printable characters without spaces',
    ]);
    expect(problemsOf({ VIEWER_API_TOKEN: 'v'.repeat(32) })).toEqual([]);
  });
});

describe('validateEnv: TRUST_PROXY', () => {
  it('is off by default', () => {
    expect(validateEnv(BASE).trustProxy).toBe(false);
    expect(validateEnv({ ...BASE, TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  it('takes a number of hops or a list of addresses, ranges and network names', () => {
    expect(validateEnv({ ...BASE, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(validateEnv({ ...BASE, TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::1' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      'fd00::1',
    ]);
  });

  it.each(['true', 'yes', '11', 'proxy.internal', '10.0.0.0/33', ','])('refuses %p', (value) => {
    expect(problemsOf({ TRUST_PROXY: value })).toEqual([expect.stringMatching(/^TRUST_PROXY: /)]);
  });
});

describe('validateEnv: DATABASE_PASSWORD', () => {
  const password = ' p/@:s%s#w?rd $é ';

  it('puts any password into DATABASE_URL so that pg reads it back exactly', () => {
    const config = validateEnv({
      ...BASE,
      DATABASE_URL: 'postgres://connector@postgres:5432/connector',
      DATABASE_PASSWORD: password,
    });
    const parsed = parse(config.databaseUrl as string);
    expect(parsed).toMatchObject({
      user: 'connector',
      password,
      host: 'postgres',
      port: '5432',
      database: 'connector',
    });
  });

  it('refuses a second password, a URL without a user, or no DATABASE_URL at all', () => {
    expect(
      problemsOf({ DATABASE_URL: 'postgres://connector:x@postgres/connector', DATABASE_PASSWORD: 'y' }),
    ).toEqual(['DATABASE_PASSWORD: DATABASE_URL already holds a password; give it in one place']);
    expect(problemsOf({ DATABASE_URL: 'postgres://postgres/connector', DATABASE_PASSWORD: 'y' })).toEqual([
      'DATABASE_URL: needs a user name when DATABASE_PASSWORD is set',
    ]);
    const embedded = {
      ADMIN_API_TOKEN: BASE.ADMIN_API_TOKEN,
      SECRETS_KEY: BASE.SECRETS_KEY,
      DATABASE_PASSWORD: 'y',
    };
    expect(() => validateEnv(embedded, { adminApiToken: '', secretsKey: '' })).toThrow(
      /DATABASE_PASSWORD: only used with DATABASE_URL/,
    );
  });
});
