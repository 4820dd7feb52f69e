import fc from 'fast-check';
import {
  EXPECTED_ORGANIZATION_URL,
  normalizeOrganizationUrl,
  OrganizationUrlResult,
  readOrganizationUrl,
} from './organization-url';

const HOST_MUST_BE = 'host must be <account>.lacework.net';
const NOT_AN_IP = 'host must be <account>.lacework.net, not an IP address';
const BAD_LABEL =
  'account and cluster must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen';

describe('normalizeOrganizationUrl', () => {
  describe('accepts Lacework organization URLs', () => {
    it.each<[string, OrganizationUrlResult]>([
      [
        'https://acme.lacework.net',
        { ok: true, url: 'https://acme.lacework.net', account: 'acme', host: 'acme.lacework.net' },
      ],
      [
        'https://ACME.lacework.net/',
        { ok: true, url: 'https://acme.lacework.net', account: 'acme', host: 'acme.lacework.net' },
      ],
      [
        'HTTPS://Acme.LaceWork.NET',
        { ok: true, url: 'https://acme.lacework.net', account: 'acme', host: 'acme.lacework.net' },
      ],
      [
        'https://acme.fra.lacework.net',
        { ok: true, url: 'https://acme.fra.lacework.net', account: 'acme', host: 'acme.fra.lacework.net' },
      ],
      [
        'https://acme.lacework.net:443',
        { ok: true, url: 'https://acme.lacework.net', account: 'acme', host: 'acme.lacework.net' },
      ],
      [
        'https://acme.lacework.net:443/',
        { ok: true, url: 'https://acme.lacework.net', account: 'acme', host: 'acme.lacework.net' },
      ],
      [
        'https://acme-corp-2.lacework.net',
        {
          ok: true,
          url: 'https://acme-corp-2.lacework.net',
          account: 'acme-corp-2',
          host: 'acme-corp-2.lacework.net',
        },
      ],
      [
        'https://a.lacework.net',
        { ok: true, url: 'https://a.lacework.net', account: 'a', host: 'a.lacework.net' },
      ],
      [
        `https://${'a'.repeat(63)}.lacework.net`,
        {
          ok: true,
          url: `https://${'a'.repeat(63)}.lacework.net`,
          account: 'a'.repeat(63),
          host: `${'a'.repeat(63)}.lacework.net`,
        },
      ],
    ])('%j', (input, expected) => {
      expect(normalizeOrganizationUrl(input, [])).toEqual(expected);
    });
  });

  describe('rejects hostile or malformed input', () => {
    it.each<[string, string]>([
      ['', 'is required'],
      ['http://acme.lacework.net', 'must use https'],
      ['ftp://acme.lacework.net', 'must use https'],
      ['javascript:alert(1)', 'must use https'],
      ['ws://acme.lacework.net', 'must use https'],
      ['acme.lacework.net', 'must start with https://'],
      ['//acme.lacework.net', 'must start with https://'],
      ['https:acme.lacework.net', 'must start with https://'],
      ['https:/acme.lacework.net', 'must start with https://'],
      ['https://user@acme.lacework.net', 'must not contain credentials'],
      ['https://user:pass@acme.lacework.net', 'must not contain credentials'],
      ['https://acme.lacework.net@evil.com', 'must not contain credentials'],
      ['https://evil.com#@acme.lacework.net', 'must not contain credentials'],
      ['https://acme.lacework.net%40evil.com', 'must not contain credentials'],
      ['https://user%40x@acme.lacework.net', 'must not contain credentials'],
      ['https://acme.lacework.net\\@evil.com', 'must not contain backslashes'],
      ['https://evil.com\\.lacework.net', 'must not contain backslashes'],
      ['https://acme.lacework.net.evil.com', HOST_MUST_BE],
      ['https://evil.com/x.lacework.net', HOST_MUST_BE],
      ['https://evil.com?.lacework.net', HOST_MUST_BE],
      ['https://evil.com#.lacework.net', HOST_MUST_BE],
      ['https://acmelacework.net', HOST_MUST_BE],
      ['https://lacework.net', HOST_MUST_BE],
      ['https://acme.lacework.net.', HOST_MUST_BE],
      ['https://acme.lacework.com', HOST_MUST_BE],
      ['https://127.0.0.1', NOT_AN_IP],
      ['https://2130706433', NOT_AN_IP],
      ['https://0x7f000001', NOT_AN_IP],
      ['https://0x7f.0.0.1', NOT_AN_IP],
      ['https://0177.0.0.1', NOT_AN_IP],
      ['https://127.1', NOT_AN_IP],
      ['https://[::1]', NOT_AN_IP],
      ['https://[::ffff:127.0.0.1]', NOT_AN_IP],
      ['https://[::ffff:7f00:1]', NOT_AN_IP],
      ['https://169.254.169.254', NOT_AN_IP],
      ['https://[fd00:ec2::254]', NOT_AN_IP],
      ['https://acme.lacework.net:8443', 'must not have a port other than 443'],
      ['https://acme.lacework.net:0', 'must not have a port other than 443'],
      ['https://acme.lacework.net:0443', 'must not have a port other than 443'],
      ['https://acme.lacework.net:', 'must not have a port other than 443'],
      ['https://acme.lacework.net/api', 'must not have a path'],
      ['https://acme.lacework.net/api/v2', 'must not have a path'],
      ['https://acme.lacework.net//', 'must not have a path'],
      ['https://acme.lacework.net/?x=1', 'must not have a query'],
      ['https://acme.lacework.net?', 'must not have a query'],
      ['https://acme.lacework.net/#x', 'must not have a fragment'],
      ['https://acme.lacework.net#', 'must not have a fragment'],
      ['https://-acme.lacework.net', BAD_LABEL],
      ['https://acme-.lacework.net', BAD_LABEL],
      ['https://ac_me.lacework.net', BAD_LABEL],
      ['https://acme.-fra.lacework.net', BAD_LABEL],
      [`https://${'a'.repeat(64)}.lacework.net`, BAD_LABEL],
      ['https://acme..lacework.net', 'host must not contain empty labels'],
      ['https://.acme.lacework.net', 'host must not contain empty labels'],
      ['https://.lacework.net', 'host must be <account>.lacework.net or <account>.<cluster>.lacework.net'],
      [
        'https://a.b.c.lacework.net',
        'host must be <account>.lacework.net or <account>.<cluster>.lacework.net',
      ],
      ['https://acme.lacework.net%2eevil.com', 'host must not be percent-encoded'],
      ['https://%61cme.lacework.net', 'host must not be percent-encoded'],
      ['https://acme.lacework.net/%2e%2e', 'must not have a path'],
      ['https:///acme.lacework.net', 'must include a host'],
      ['https://', 'must include a host'],
      ['https://:443', 'must include a host'],
      [`https://${`${'a'.repeat(60)}.`.repeat(4)}lacework.net`, 'host is too long'],
      ['https://acme.lacework.net ', 'must not contain whitespace'],
      [' https://acme.lacework.net', 'must not contain whitespace'],
      ['https://acme.lace\twork.net', 'must not contain whitespace'],
      ['https://acme.lacework.net\n', 'must not contain whitespace'],
      ['https://acme.lacework.net\u0000', 'must not contain control characters'],
      ['https://acme\u3002lacework.net', 'must contain only ASCII characters'],
      ['https://acme.lacework\uff0enet', 'must contain only ASCII characters'],
      ['https://\u0430cme.lacework.net', 'must contain only ASCII characters'],
      ['https://[acme.lacework.net', 'host is not valid'],
      [`https://acme.lacework.net/${'a'.repeat(2100)}`, 'is too long'],
    ])('%j -> %j', (input, reason) => {
      expect(normalizeOrganizationUrl(input, [])).toEqual({ ok: false, reason });
    });
  });

  describe('hosts the operator allows explicitly', () => {
    it.each<[string, readonly string[], OrganizationUrlResult]>([
      [
        'http://127.0.0.1:4567',
        ['127.0.0.1:4567'],
        { ok: true, url: 'http://127.0.0.1:4567', account: '127.0.0.1', host: '127.0.0.1:4567' },
      ],
      [
        'http://127.0.0.1:4567',
        ['127.0.0.1'],
        { ok: true, url: 'http://127.0.0.1:4567', account: '127.0.0.1', host: '127.0.0.1:4567' },
      ],
      [
        'http://127.0.0.1:4567/',
        ['other.example', '127.0.0.1'],
        { ok: true, url: 'http://127.0.0.1:4567', account: '127.0.0.1', host: '127.0.0.1:4567' },
      ],
      [
        'https://127.0.0.1:8443',
        ['127.0.0.1'],
        { ok: true, url: 'https://127.0.0.1:8443', account: '127.0.0.1', host: '127.0.0.1:8443' },
      ],
      [
        'http://Fake-Lacework:8080',
        ['fake-lacework'],
        { ok: true, url: 'http://fake-lacework:8080', account: 'fake-lacework', host: 'fake-lacework:8080' },
      ],
      [
        'http://lacework.internal.example:80',
        ['LACEWORK.internal.example'],
        {
          ok: true,
          url: 'http://lacework.internal.example',
          account: 'lacework',
          host: 'lacework.internal.example',
        },
      ],
      [
        'https://gateway.example',
        ['gateway.example:443'],
        { ok: true, url: 'https://gateway.example', account: 'gateway', host: 'gateway.example' },
      ],
      [
        'http://[::1]:4567',
        ['[::1]:4567'],
        { ok: true, url: 'http://[::1]:4567', account: '::1', host: '[::1]:4567' },
      ],
      [
        'http://[::1]:4567',
        ['::1'],
        { ok: true, url: 'http://[::1]:4567', account: '::1', host: '[::1]:4567' },
      ],
      [
        'https://acme.lacework.net',
        ['127.0.0.1'],
        { ok: true, url: 'https://acme.lacework.net', account: 'acme', host: 'acme.lacework.net' },
      ],
    ])('%j allowed by %j', (input, allowed, expected) => {
      expect(normalizeOrganizationUrl(input, allowed)).toEqual(expected);
    });

    it.each<[string, readonly string[], string]>([
      ['http://127.0.0.1:4567', ['127.0.0.1:4568'], NOT_AN_IP],
      ['http://127.0.0.1:4567', [], NOT_AN_IP],
      ['http://127.0.0.1', ['127.0.0.1:4567'], NOT_AN_IP],
      ['http://2130706433:4567', ['127.0.0.1'], NOT_AN_IP],
      ['http://127.1:4567', ['127.0.0.1'], NOT_AN_IP],
      ['http://[::ffff:127.0.0.1]:4567', ['127.0.0.1'], NOT_AN_IP],
      ['http://127.0.0.2:4567', ['127.0.0.1'], NOT_AN_IP],
      ['http://localhost.evil.com:4567', ['localhost'], HOST_MUST_BE],
      ['http://evil-localhost:4567', ['localhost'], HOST_MUST_BE],
      ['http://user@127.0.0.1:4567', ['127.0.0.1'], 'must not contain credentials'],
      ['http://127.0.0.1:4567@evil.com', ['127.0.0.1'], 'must not contain credentials'],
      ['http://127.0.0.1:4567/api', ['127.0.0.1'], 'must not have a path'],
      ['http://127.0.0.1:4567?x=1', ['127.0.0.1'], 'must not have a query'],
      ['http://127.0.0.1:4567#x', ['127.0.0.1'], 'must not have a fragment'],
      ['http://127.0.0.1:99999', ['127.0.0.1'], 'port must be a number from 1 to 65535'],
      ['http://127.0.0.1:0', ['127.0.0.1'], 'port must be a number from 1 to 65535'],
      ['http://127.0.0.1:45x', ['127.0.0.1'], 'port must be a number from 1 to 65535'],
      ['ftp://127.0.0.1:4567', ['127.0.0.1'], 'must use https'],
      ['http://127.0.0.1%3a4567', ['127.0.0.1'], 'host must not be percent-encoded'],
      ['http://127.0.0.1:4567', ['http://127.0.0.1:4567'], NOT_AN_IP],
      ['http://acme.lacework.net', ['127.0.0.1'], 'must use https'],
    ])('%j with %j -> %j', (input, allowed, reason) => {
      expect(normalizeOrganizationUrl(input, allowed)).toEqual({ ok: false, reason });
    });
  });

  describe('agrees with the WHATWG parser on everything it accepts', () => {
    const scheme = fc.constantFrom(
      'https://',
      'https://',
      'https://',
      'HTTPS://',
      'http://',
      'https:/',
      'https:\\\\',
      '',
    );
    const hostPiece = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom('acme', 'fra.', 'acme.lacework.net', '.lacework.net', 'localhost'),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'ACME',
          '.',
          'lacework.net',
          'evil.com',
          '@',
          '%40',
          '%2e',
          '-',
          '127.0.0.1',
          '0x7f.1',
          '[::1]',
          ':443',
          ':4567',
          ':8443',
          ':',
          ' ',
          'x',
        ),
      },
    );
    const tailPiece = fc.constantFrom(
      '/',
      '//',
      '?',
      '#',
      '@',
      '\\',
      '/api',
      '.lacework.net',
      '%2e',
      '?x=1',
      '#@',
    );
    const candidate = fc
      .tuple(
        scheme,
        fc.array(hostPiece, { minLength: 1, maxLength: 4 }),
        fc.array(tailPiece, { maxLength: 1 }),
      )
      .map(([prefix, host, tail]) => prefix + host.join('') + tail.join(''));

    it('never admits a URL whose parsed origin is not the one reported', () => {
      let admitted = 0;
      fc.assert(
        fc.property(candidate, (input) => {
          const result = normalizeOrganizationUrl(input, ['localhost', '127.0.0.1:4567']);
          if (!result.ok) {
            return;
          }
          admitted += 1;
          const parsed = new URL(input);
          expect(parsed.origin).toBe(result.url);
          expect(parsed.host).toBe(result.host);
          expect(parsed.username).toBe('');
          expect(parsed.password).toBe('');
          expect(parsed.pathname).toBe('/');
          expect(parsed.search).toBe('');
          expect(parsed.hash).toBe('');
          const extra = parsed.hostname === 'localhost' || parsed.host === '127.0.0.1:4567';
          const lacework =
            parsed.protocol === 'https:' && /^[a-z0-9-]+(\.[a-z0-9-]+)?\.lacework\.net$/.test(parsed.host);
          expect(extra || lacework).toBe(true);
        }),
        { numRuns: 5000, seed: 20240501 },
      );
      // The property is only worth something if the generator reaches the accepting paths.
      expect(admitted).toBeGreaterThan(100);
    });
  });
});

describe('readOrganizationUrl (what users paste)', () => {
  it.each<[string, string, string]>([
    ['acme.lacework.net', 'https://acme.lacework.net', 'acme'],
    ['ACME.Lacework.NET', 'https://acme.lacework.net', 'acme'],
    ['  https://acme.lacework.net/  ', 'https://acme.lacework.net', 'acme'],
    ['https://acme.lacework.net/', 'https://acme.lacework.net', 'acme'],
    [
      'https://acme.lacework.net/ui/investigation/recents/EventDossier-967278',
      'https://acme.lacework.net',
      'acme',
    ],
    [
      'https://acme.lacework.net/ui/investigation/monitor/AlertInbox/967278/details?accountName=acme#x',
      'https://acme.lacework.net',
      'acme',
    ],
    ['acme.lacework.net/ui/investigation/recents', 'https://acme.lacework.net', 'acme'],
    ['acme.fra.lacework.net', 'https://acme.fra.lacework.net', 'acme'],
    ['https://acme.fra.lacework.net/ui/home', 'https://acme.fra.lacework.net', 'acme'],
    ['https://acme.lacework.net?', 'https://acme.lacework.net', 'acme'],
  ])('reads %s as %s', (input, url, account) => {
    const result = readOrganizationUrl(input, []);
    expect(result).toMatchObject({ ok: true, url, account });
    expect(result.ok && result.reducedFrom).toBe(input);
  });

  it('leaves no note when the URL was given in its stored form', () => {
    expect(readOrganizationUrl('https://acme.lacework.net', [])).toMatchObject({
      ok: true,
      reducedFrom: null,
    });
  });

  it.each<[string, string]>([
    ['acme', 'must start with https://'],
    ['http://acme.lacework.net/ui', 'must use https'],
    ['evil.com/acme.lacework.net', 'must start with https://'],
    ['https://evil.com/acme.lacework.net', HOST_MUST_BE],
    ['https://acme.lacework.net.evil.com/ui', HOST_MUST_BE],
    ['https://user@acme.lacework.net/ui', 'must not contain credentials'],
    ['https://acme.lacework.net/ui/@evil.com', 'must not contain credentials'],
    ['https://acme.lacework.net:8443/ui', 'must not have a port other than 443'],
    ['https://127.0.0.1/ui', NOT_AN_IP],
    ['acme.lacework.net\\@evil.com', 'must not contain backslashes'],
    [
      'https://a.b.c.lacework.net/ui',
      'host must be <account>.lacework.net or <account>.<cluster>.lacework.net',
    ],
  ])('refuses %s, showing the expected form', (input, reason) => {
    expect(readOrganizationUrl(input, [])).toEqual({
      ok: false,
      reason: `${reason} (expected ${EXPECTED_ORGANIZATION_URL})`,
    });
  });

  it('drops no path of an operator-allowed host: only Lacework hosts are reduced', () => {
    expect(readOrganizationUrl('http://127.0.0.1:4567/api', ['127.0.0.1'])).toEqual({
      ok: false,
      reason: `must not have a path (expected ${EXPECTED_ORGANIZATION_URL})`,
    });
  });
});
