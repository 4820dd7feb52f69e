import { ApiKeyFileResult, organizationUrlFromAccount, parseApiKeyFile } from './api-key-file';

const KEY_ID = 'ACME_0123456789ABCDEF0123456789ABCDEF0123456789ABCD';
const SECRET = '_0123456789abcdef0123456789abcdef';

type Success = Extract<ApiKeyFileResult, { ok: true }>;

function ok(subAccount: string | null, account: string | null): Success {
  return { ok: true, keyId: KEY_ID, secret: SECRET, subAccount, account, format: 'json' };
}

function failure(field: string, reason: string): ApiKeyFileResult {
  return { ok: false, field, reason };
}

describe('parseApiKeyFile', () => {
  describe('accepts the shapes the console produces', () => {
    it.each<[string, unknown, ApiKeyFileResult]>([
      [
        'the documented file',
        { keyId: KEY_ID, secret: SECRET, subAccount: 'acme-dev', account: 'acme.lacework.net' },
        ok('acme-dev', 'acme.lacework.net'),
      ],
      [
        'camel-case subAccount',
        { keyId: KEY_ID, secret: SECRET, subAccount: 'acme-dev' },
        ok('acme-dev', null),
      ],
      [
        'lower-case subaccount',
        { keyId: KEY_ID, secret: SECRET, subaccount: 'acme-dev' },
        ok('acme-dev', null),
      ],
      [
        'both spellings agreeing',
        { keyId: KEY_ID, secret: SECRET, subAccount: 'acme-dev', subaccount: 'acme-dev' },
        ok('acme-dev', null),
      ],
      ['no sub-account', { keyId: KEY_ID, secret: SECRET }, ok(null, null)],
      ['an empty sub-account', { keyId: KEY_ID, secret: SECRET, subAccount: '' }, ok(null, null)],
      ['a null sub-account', { keyId: KEY_ID, secret: SECRET, subaccount: null }, ok(null, null)],
      [
        'an empty camel sub-account beside a lower one',
        { keyId: KEY_ID, secret: SECRET, subAccount: '', subaccount: 'acme-dev' },
        ok('acme-dev', null),
      ],
      ['a bare account', { keyId: KEY_ID, secret: SECRET, account: 'acme' }, ok(null, 'acme')],
      ['an upper-case bare account', { keyId: KEY_ID, secret: SECRET, account: 'ACME' }, ok(null, 'acme')],
      [
        'an account host',
        { keyId: KEY_ID, secret: SECRET, account: 'acme.lacework.net' },
        ok(null, 'acme.lacework.net'),
      ],
      [
        'an account host with a cluster',
        { keyId: KEY_ID, secret: SECRET, account: 'acme.fra.lacework.net' },
        ok(null, 'acme.fra.lacework.net'),
      ],
      [
        'an account URL',
        { keyId: KEY_ID, secret: SECRET, account: 'https://acme.lacework.net' },
        ok(null, 'acme.lacework.net'),
      ],
      [
        'an account URL with a trailing slash',
        { keyId: KEY_ID, secret: SECRET, account: 'https://Acme.lacework.net/' },
        ok(null, 'acme.lacework.net'),
      ],
      ['an empty account', { keyId: KEY_ID, secret: SECRET, account: '' }, ok(null, null)],
      ['a null account', { keyId: KEY_ID, secret: SECRET, account: null }, ok(null, null)],
      [
        'unknown extra keys',
        { keyId: KEY_ID, secret: SECRET, createdTime: '2024-05-01', expiry: 3600, nested: { a: 1 } },
        ok(null, null),
      ],
      [
        'the file as JSON text',
        JSON.stringify({
          keyId: KEY_ID,
          secret: SECRET,
          subAccount: 'acme-dev',
          account: 'acme.lacework.net',
        }),
        ok('acme-dev', 'acme.lacework.net'),
      ],
      ['a keyId of one character', { keyId: 'K', secret: SECRET }, { ...ok(null, null), keyId: 'K' }],
      [
        'a keyId of 128 characters',
        { keyId: 'K'.repeat(128), secret: SECRET },
        { ...ok(null, null), keyId: 'K'.repeat(128) },
      ],
      [
        'a secret of 256 characters',
        { keyId: KEY_ID, secret: 's'.repeat(256) },
        { ...ok(null, null), secret: 's'.repeat(256) },
      ],
    ])('%s', (_label, file, expected) => {
      expect(parseApiKeyFile(file)).toEqual(expected);
    });
  });

  describe('rejects broken files, naming the field', () => {
    it.each<[string, unknown, ApiKeyFileResult]>([
      ['null', null, failure('apiKeyFile', 'must be a JSON object')],
      ['undefined', undefined, failure('apiKeyFile', 'must be a JSON object')],
      ['an array', [KEY_ID, SECRET], failure('apiKeyFile', 'must be a JSON object')],
      ['a number', 42, failure('apiKeyFile', 'must be a JSON object')],
      ['JSON text of an array', '[]', failure('apiKeyFile', 'must be a JSON object')],
      ['text that is not JSON', '{keyId: 1', failure('apiKeyFile', 'is not valid JSON')],
      ['text that is too large', ' '.repeat(64 * 1024 + 1), failure('apiKeyFile', 'is too large')],
      ['a missing keyId', { secret: SECRET }, failure('apiKeyFile.keyId', 'is required')],
      ['a null keyId', { keyId: null, secret: SECRET }, failure('apiKeyFile.keyId', 'is required')],
      ['a numeric keyId', { keyId: 12345, secret: SECRET }, failure('apiKeyFile.keyId', 'must be a string')],
      [
        'an object keyId',
        { keyId: { id: KEY_ID }, secret: SECRET },
        failure('apiKeyFile.keyId', 'must be a string'),
      ],
      ['an empty keyId', { keyId: '', secret: SECRET }, failure('apiKeyFile.keyId', 'must not be empty')],
      [
        'an overlong keyId',
        { keyId: 'K'.repeat(129), secret: SECRET },
        failure('apiKeyFile.keyId', 'must be at most 128 characters'),
      ],
      [
        'a keyId with a space',
        { keyId: 'ACME 0123', secret: SECRET },
        failure('apiKeyFile.keyId', 'must be printable ASCII without spaces'),
      ],
      [
        'a keyId with a newline',
        { keyId: `${KEY_ID}\n`, secret: SECRET },
        failure('apiKeyFile.keyId', 'must be printable ASCII without spaces'),
      ],
      [
        'a keyId with non-ASCII',
        { keyId: 'ACME_\u00e9', secret: SECRET },
        failure('apiKeyFile.keyId', 'must be printable ASCII without spaces'),
      ],
      ['a missing secret', { keyId: KEY_ID }, failure('apiKeyFile.secret', 'is required')],
      ['a boolean secret', { keyId: KEY_ID, secret: true }, failure('apiKeyFile.secret', 'must be a string')],
      ['an empty secret', { keyId: KEY_ID, secret: '' }, failure('apiKeyFile.secret', 'must not be empty')],
      [
        'an overlong secret',
        { keyId: KEY_ID, secret: 's'.repeat(257) },
        failure('apiKeyFile.secret', 'must be at most 256 characters'),
      ],
      [
        'a secret with a line break',
        { keyId: KEY_ID, secret: `${SECRET}\r\nX-Injected: 1` },
        failure('apiKeyFile.secret', 'must be printable ASCII without spaces'),
      ],
      [
        'a numeric subAccount',
        { keyId: KEY_ID, secret: SECRET, subAccount: 7 },
        failure('apiKeyFile.subAccount', 'must be a string'),
      ],
      [
        'an array subaccount',
        { keyId: KEY_ID, secret: SECRET, subaccount: ['acme-dev'] },
        failure('apiKeyFile.subaccount', 'must be a string'),
      ],
      [
        'disagreeing sub-account spellings',
        { keyId: KEY_ID, secret: SECRET, subAccount: 'acme-dev', subaccount: 'acme-prod' },
        failure('apiKeyFile.subAccount', 'disagrees with subaccount'),
      ],
      [
        'an overlong subAccount',
        { keyId: KEY_ID, secret: SECRET, subAccount: 'a'.repeat(129) },
        failure('apiKeyFile.subAccount', 'must be at most 128 characters'),
      ],
      [
        'a subaccount with a space',
        { keyId: KEY_ID, secret: SECRET, subaccount: 'acme dev' },
        failure('apiKeyFile.subaccount', 'must be printable ASCII without spaces'),
      ],
      [
        'a numeric account',
        { keyId: KEY_ID, secret: SECRET, account: 1 },
        failure('apiKeyFile.account', 'must be a string'),
      ],
      [
        'an account on another domain',
        { keyId: KEY_ID, secret: SECRET, account: 'acme.evil.com' },
        failure('apiKeyFile.account', 'must be an account name or <account>.lacework.net'),
      ],
      [
        'an http account URL',
        { keyId: KEY_ID, secret: SECRET, account: 'http://acme.lacework.net' },
        failure('apiKeyFile.account', 'must be an account name or <account>.lacework.net'),
      ],
      [
        'an account URL with credentials',
        { keyId: KEY_ID, secret: SECRET, account: 'https://x@acme.lacework.net' },
        failure('apiKeyFile.account', 'must be an account name or <account>.lacework.net'),
      ],
      [
        'an account starting with a hyphen',
        { keyId: KEY_ID, secret: SECRET, account: '-acme' },
        failure('apiKeyFile.account', 'must be an account name or <account>.lacework.net'),
      ],
      [
        'an IP address as account',
        { keyId: KEY_ID, secret: SECRET, account: '127.0.0.1' },
        failure('apiKeyFile.account', 'must be an account name or <account>.lacework.net'),
      ],
      [
        'an overlong account',
        { keyId: KEY_ID, secret: SECRET, account: 'a'.repeat(64) },
        failure('apiKeyFile.account', 'must be an account name or <account>.lacework.net'),
      ],
      [
        'a huge account',
        { keyId: KEY_ID, secret: SECRET, account: 'a'.repeat(5000) },
        failure('apiKeyFile.account', 'must be an account name or <account>.lacework.net'),
      ],
    ])('%s', (_label, file, expected) => {
      expect(parseApiKeyFile(file)).toEqual(expected);
    });

    it('reports the first broken field in file order: keyId before secret', () => {
      expect(parseApiKeyFile({ keyId: 1, secret: 2 })).toEqual(
        failure('apiKeyFile.keyId', 'must be a string'),
      );
    });

    it('never repeats the secret in a failure', () => {
      const secret = 'TOP-SECRET-VALUE-\u00e9';
      const result = parseApiKeyFile({ keyId: KEY_ID, secret });
      expect(result).toEqual(failure('apiKeyFile.secret', 'must be printable ASCII without spaces'));
      expect(JSON.stringify(result)).not.toContain('TOP-SECRET');
    });
  });
});

describe('organizationUrlFromAccount', () => {
  it.each<[string, string]>([
    ['acme', 'https://acme.lacework.net'],
    ['ACME', 'https://acme.lacework.net'],
    ['acme-corp', 'https://acme-corp.lacework.net'],
    ['acme.lacework.net', 'https://acme.lacework.net'],
    ['Acme.Lacework.Net', 'https://acme.lacework.net'],
    ['acme.fra.lacework.net', 'https://acme.fra.lacework.net'],
    ['https://acme.lacework.net', 'https://acme.lacework.net'],
    ['https://acme.lacework.net/', 'https://acme.lacework.net'],
  ])('%j -> %j', (account, url) => {
    expect(organizationUrlFromAccount(account)).toBe(url);
  });

  it.each<[string, string]>([
    ['', 'is required'],
    ['  ', 'is required'],
    ['acme corp', 'must not contain whitespace'],
    [
      'a'.repeat(64),
      'account and cluster must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen',
    ],
    [
      '-acme',
      'account and cluster must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen',
    ],
    ['acme.evil.com', 'host must be <account>.lacework.net'],
    ['acme.lacework.net.evil.com', 'host must be <account>.lacework.net'],
    ['acme@evil.com', 'must not contain credentials'],
    ['127.0.0.1', 'host must be <account>.lacework.net, not an IP address'],
    ['http://acme.lacework.net', 'must use https'],
    ['ftp://acme.lacework.net', 'must use https'],
    ['acme.lacework.net/api', 'must not have a path'],
  ])('refuses %j', (account, reason) => {
    expect(() => organizationUrlFromAccount(account)).toThrow(
      new Error(`not a Lacework account name or host: ${reason}`),
    );
  });
});

describe('parseApiKeyFile with a FortiCloud credentials text file', () => {
  const forti: ApiKeyFileResult = {
    ok: true,
    keyId: KEY_ID,
    secret: SECRET,
    subAccount: null,
    account: null,
    format: 'forticloud',
  };

  it.each<[string, string]>([
    ['LF line ends', `apiId: ${KEY_ID}\npassword: ${SECRET}\n`],
    ['CRLF line ends', `apiId: ${KEY_ID}\r\npassword: ${SECRET}\r\n`],
    ['extra whitespace and blank lines', `\n   apiId   :   ${KEY_ID}   \n\n\tpassword:\t${SECRET}\t\n\n`],
    [
      'unknown lines around them',
      `# FortiCloud API user\nname: soc\napiId: ${KEY_ID}\npassword: ${SECRET}\nexpires: 2027`,
    ],
    ['lines in the other order, no final newline', `password: ${SECRET}\napiId: ${KEY_ID}`],
    ['a key with other casing', `APIID: ${KEY_ID}\nPassword: ${SECRET}`],
  ])('reads %s', (_name, text) => {
    expect(parseApiKeyFile(text)).toEqual(forti);
  });

  it.each<[string, string, ApiKeyFileResult]>([
    [
      'a missing password line',
      `apiId: ${KEY_ID}\n`,
      failure('apiKeyFile.password', 'line is missing (expected "password: <secret>")'),
    ],
    [
      'a missing apiId line',
      `password: ${SECRET}\r\n`,
      failure('apiKeyFile.apiId', 'line is missing (expected "apiId: <key id>")'),
    ],
    [
      'an empty apiId',
      `apiId:   \npassword: ${SECRET}`,
      failure('apiKeyFile.apiId', 'line is missing (expected "apiId: <key id>")'),
    ],
    [
      'a repeated line',
      `apiId: a\napiId: b\npassword: ${SECRET}`,
      failure('apiKeyFile.apiId', 'appears more than once'),
    ],
    [
      'a password with a space inside',
      `apiId: ${KEY_ID}\npassword: two words`,
      failure('apiKeyFile.password', 'must be printable ASCII without spaces'),
    ],
  ])('refuses %s, naming the line and never the secret', (_name, text, expected) => {
    const result = parseApiKeyFile(text);
    expect(result).toEqual(expected);
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('still reads the JSON key file given as text', () => {
    expect(parseApiKeyFile(JSON.stringify({ keyId: KEY_ID, secret: SECRET, account: 'acme' }))).toEqual(
      ok(null, 'acme'),
    );
  });
});
