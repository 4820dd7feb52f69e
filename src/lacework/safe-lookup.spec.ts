import type { LookupOptions } from 'node:dns';
import {
  createSafeLookup,
  isLaceworkHostname,
  isPublicUnicastAddress,
  type LookupAddressEntry,
  type LookupFunction,
} from './safe-lookup';

function stubResolver(addresses: string[]): jest.Mock<void, Parameters<LookupFunction>> {
  return jest.fn<void, Parameters<LookupFunction>>((_hostname, _options, callback) => {
    callback(
      null,
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  });
}

function lookupAll(lookup: LookupFunction, hostname: string): Promise<LookupAddressEntry[]> {
  return new Promise((resolve, reject) => {
    lookup(hostname, { all: true }, (error, address) => {
      if (error) {
        reject(error);
      } else {
        resolve(address as LookupAddressEntry[]);
      }
    });
  });
}

function lookupOne(
  lookup: LookupFunction,
  hostname: string,
  options: LookupOptions = {},
): Promise<{ address: string; family: number | undefined }> {
  return new Promise((resolve, reject) => {
    lookup(hostname, options, (error, address, family) => {
      if (error) {
        reject(error);
      } else {
        resolve({ address: address as string, family });
      }
    });
  });
}

const NON_PUBLIC = [
  '127.0.0.1',
  '10.1.2.3',
  '172.16.5.4',
  '192.168.1.1',
  '100.64.0.1',
  '169.254.169.254',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
  '240.0.0.1',
  '192.0.2.10',
  '::1',
  '::',
  'fc00::1',
  'fd12:3456::1',
  'fe80::1',
  'ff02::1',
  '::ffff:127.0.0.1',
  '::ffff:169.254.169.254',
  '::ffff:10.0.0.1',
  '2001:db8::1',
];

describe('safe lookup', () => {
  it.each(NON_PUBLIC.flatMap((address) => [address, `${address} (regional host)`]))(
    'refuses %s for a lacework.net host',
    async (label) => {
      const [address, regional] = label.split(' ');
      const lookup = createSafeLookup(stubResolver([address]));
      const host = regional === undefined ? 'acme.lacework.net' : 'acme.fra.lacework.net';

      await expect(lookupAll(lookup, host)).rejects.toMatchObject({ code: 'ERR_LACEWORK_UNSAFE_ADDRESS' });
    },
  );

  it('passes public addresses for a lacework.net host', async () => {
    const lookup = createSafeLookup(stubResolver(['52.1.2.3', '2600:1f18::10']));

    await expect(lookupAll(lookup, 'acme.fra.lacework.net')).resolves.toEqual([
      { address: '52.1.2.3', family: 4 },
      { address: '2600:1f18::10', family: 6 },
    ]);
  });

  it('accepts an IPv4-mapped IPv6 address of a public IPv4 address', async () => {
    const lookup = createSafeLookup(stubResolver(['::ffff:52.1.2.3']));

    await expect(lookupAll(lookup, 'acme.lacework.net')).resolves.toHaveLength(1);
  });

  it('refuses an answer that mixes public and private addresses', async () => {
    const lookup = createSafeLookup(stubResolver(['52.1.2.3', '10.0.0.5']));

    await expect(lookupOne(lookup, 'acme.lacework.net')).rejects.toMatchObject({
      code: 'ERR_LACEWORK_UNSAFE_ADDRESS',
    });
  });

  it('answers the single-address form with address and family', async () => {
    const resolver = stubResolver(['52.1.2.3']);
    const lookup = createSafeLookup(resolver);

    await expect(lookupOne(lookup, 'acme.lacework.net', { family: 4 })).resolves.toEqual({
      address: '52.1.2.3',
      family: 4,
    });
    expect(resolver.mock.calls[0][1]).toEqual({ family: 4, all: true });
  });

  it('matches the domain case-insensitively and with a trailing dot', async () => {
    const lookup = createSafeLookup(stubResolver(['127.0.0.1']));

    await expect(lookupAll(lookup, 'ACME.Lacework.NET.')).rejects.toThrow(/non-public/);
  });

  it('passes other hosts through untouched, private addresses included', async () => {
    const resolver = stubResolver(['127.0.0.1']);
    const lookup = createSafeLookup(resolver);

    await expect(lookupAll(lookup, 'lacework.internal.example')).resolves.toEqual([
      { address: '127.0.0.1', family: 4 },
    ]);
    await expect(lookupAll(lookup, 'notlacework.net')).resolves.toHaveLength(1);
    expect(resolver).toHaveBeenCalledWith('lacework.internal.example', { all: true }, expect.any(Function));
  });

  it('passes resolver errors on', async () => {
    const failing: LookupFunction = (_hostname, _options, callback) => {
      const error: NodeJS.ErrnoException = new Error('getaddrinfo ENOTFOUND');
      error.code = 'ENOTFOUND';
      callback(error, []);
    };

    await expect(lookupAll(createSafeLookup(failing), 'acme.lacework.net')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('refuses an empty answer', async () => {
    await expect(lookupAll(createSafeLookup(stubResolver([])), 'acme.lacework.net')).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('checks a single-address answer from the resolver', async () => {
    const single: LookupFunction = (_hostname, _options, callback) => callback(null, '10.0.0.1', 4);

    await expect(lookupOne(createSafeLookup(single), 'acme.lacework.net')).rejects.toThrow(/10\.0\.0\.1/);
  });
});

describe('isLaceworkHostname', () => {
  it.each([
    ['acme.lacework.net', true],
    ['acme.aprodus2.lacework.net', true],
    ['lacework.net', true],
    ['acme.lacework.net.evil.example', false],
    ['evillacework.net', false],
  ])('%s -> %s', (hostname, expected) => {
    expect(isLaceworkHostname(hostname)).toBe(expected);
  });
});

describe('isPublicUnicastAddress', () => {
  it('accepts public addresses and rejects garbage', () => {
    expect(isPublicUnicastAddress('8.8.8.8')).toBe(true);
    expect(isPublicUnicastAddress('2606:4700::1111')).toBe(true);
    expect(isPublicUnicastAddress('not-an-ip')).toBe(false);
  });
});
