import { organizationUrlOf, parseKeyFile } from './key-file';

describe('parseKeyFile', () => {
  it('takes key id, sub-account and organization URL, and keeps only a hint of the secret', () => {
    const key = parseKeyFile(
      JSON.stringify({ keyId: 'ACME_1', secret: '_abcdef0123456789', account: 'acme', subaccount: 'prod' }),
    );
    expect(key).toMatchObject({
      keyId: 'ACME_1',
      secretHint: '6789',
      subAccount: 'prod',
      organizationUrl: 'https://acme.lacework.net',
    });
    expect(JSON.stringify({ ...key, raw: undefined })).not.toContain('_abcdef0123456789');
  });

  it('says what is wrong with a file that is not a key file', () => {
    expect(() => parseKeyFile('not json')).toThrow(/not JSON/);
    expect(() => parseKeyFile('[]')).toThrow(/JSON object/);
    expect(() => parseKeyFile('{"secret":"s"}')).toThrow(/keyId/);
    expect(() => parseKeyFile('{"keyId":"k"}')).toThrow(/secret/);
  });
});

describe('parseKeyFile with a FortiCloud credentials text file', () => {
  it('takes apiId as the key id and keeps only a hint of the password; the account is typed in', () => {
    const text = 'apiId:  ACME_2 \r\npassword: _fortipassword1234\r\n';
    const key = parseKeyFile(text);
    expect(key).toMatchObject({
      keyId: 'ACME_2',
      secretHint: '1234',
      subAccount: null,
      organizationUrl: null,
    });
    expect(key.raw).toBe(text);
  });

  it('names the missing line', () => {
    expect(() => parseKeyFile('apiId: ACME_2\n')).toThrow(/password line is missing/);
  });
});

describe('organizationUrlOf', () => {
  it('keeps a cluster host or URL, and completes a bare account name', () => {
    expect(organizationUrlOf('acme')).toBe('https://acme.lacework.net');
    expect(organizationUrlOf('acme.fra.lacework.net')).toBe('https://acme.fra.lacework.net');
    expect(organizationUrlOf('https://ACME.lacework.net/')).toBe('https://acme.lacework.net');
  });
});
