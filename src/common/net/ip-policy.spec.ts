import fc from 'fast-check';
import {
  AddressClass,
  classifyAddress,
  isLinkLocalOrMetadata,
  isPublicUnicast,
  parseIpLiteral,
} from './ip-policy';

describe('parseIpLiteral', () => {
  it.each<[string, string | null]>([
    ['127.0.0.1', '127.0.0.1'],
    ['8.8.8.8', '8.8.8.8'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['0x7f.0x0.0x0.0x1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['00000177.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['10.65535', '10.0.255.255'],
    ['0', '0.0.0.0'],
    ['0x', '0.0.0.0'],
    ['4294967295', '255.255.255.255'],
    ['127.0.0.1.', '127.0.0.1'],
    ['169.254.169.254', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['2852039166', '169.254.169.254'],
    ['0251.0376.0251.0376', '169.254.169.254'],
    ['%31%32%37.0.0.1', '127.0.0.1'],
    ['\uff11\uff12\uff17.\uff10.\uff10.\uff11', '127.0.0.1'],
    ['127\u30020.0.1', '127.0.0.1'],
    ['127.0.0.1 trailing', '127.0.0.1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['[::]', '::'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[::ffff:7f00:1]', '::ffff:7f00:1'],
    ['[0:0:0:0:0:ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[::FFFF:A9FE:A9FE]', '::ffff:a9fe:a9fe'],
    ['[::127.0.0.1]', '::7f00:1'],
    ['[fe80::1%25eth0]', 'fe80::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['[FD00:EC2::254]', 'fd00:ec2::254'],
    ['[2001:DB8:0:0:0:0:0:1]', '2001:db8::1'],
  ])('reads %j as %j', (host, expected) => {
    expect(parseIpLiteral(host)).toBe(expected);
  });

  it.each<string>([
    '',
    'localhost',
    'acme.lacework.net',
    'example.com',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.256',
    '127.16777216',
    '4294967296',
    '08.0.0.1',
    '0x7g.0.0.1',
    '1.2.3.4..',
    '.1.2.3',
    '-1.2.3.4',
    '1.2.3.4x',
    'foo.0x10',
    '[127.0.0.1]',
    '[::1',
    '::1]',
    '[1::2::3]',
    '[1:2:3:4:5:6:7:8:9]',
    '[::ffff:127.1]',
    '[fe80::1%]x',
    '[]',
    ' 127.0.0.1',
    '9'.repeat(400),
  ])('finds no IP literal in %j', (host) => {
    expect(parseIpLiteral(host)).toBeNull();
  });
});

describe('parseIpLiteral against the WHATWG URL parser', () => {
  const encodings: readonly ((value: number) => string)[] = [
    (value) => value.toString(10),
    (value) => `0x${value.toString(16)}`,
    (value) => `0${value.toString(8)}`,
  ];

  it('reads every number form of a random address the way a URL parser does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
        (address, partCount, encodingChoice) => {
          const octets = [24, 16, 8, 0].map((shift) => (address >>> shift) & 255);
          const leading = octets.slice(0, partCount - 1);
          const rest = octets.slice(partCount - 1).reduce((sum, octet) => sum * 256 + octet, 0);
          const host = [...leading, rest]
            .map((value, index) => encodings[encodingChoice[index]](value))
            .join('.');
          expect(parseIpLiteral(host)).toBe(new URL(`http://${host}/`).hostname);
          expect(parseIpLiteral(host)).toBe(octets.join('.'));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['223.255.255.255', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['2130706433', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.0.1', 'link_local'],
    ['169.254.170.2', 'link_local'],
    ['169.254.169.254', 'metadata'],
    ['0xa9fea9fe', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.0.192', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['[2a00:1450:4001::200e]', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['fe80::1', 'link_local'],
    ['febf:ffff::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['fd00:ec2::254', 'metadata'],
    ['[fd00:ec2::254]', 'metadata'],
    ['fd00:ec2::253', 'unique_local'],
    ['fc00::1', 'unique_local'],
    ['fdff:ffff::1', 'unique_local'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['2002:7f00:1::', 'reserved'],
    ['100::1', 'reserved'],
    ['::7f00:1', 'reserved'],
    ['fec0::1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:100.100.100.200', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['::ffff:0:a9fe:a9fe', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b::7f00:1', 'loopback'],
  ])('classifies %j as %j', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it.each(['', 'localhost', 'example.com', '1.2.3.4.5', '::g'])('refuses %j as not an address', (address) => {
    expect(() => classifyAddress(address)).toThrow('not an IP address');
  });
});

describe('isPublicUnicast', () => {
  it.each<[string, boolean]>([
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['::ffff:8.8.8.8', true],
    ['127.0.0.1', false],
    ['10.0.0.1', false],
    ['100.64.0.1', false],
    ['169.254.169.254', false],
    ['fc00::1', false],
    ['ff02::1', false],
    ['0.0.0.0', false],
    ['240.0.0.1', false],
    ['2001:db8::1', false],
    ['example.com', false],
    ['', false],
  ])('%j -> %j', (address, expected) => {
    expect(isPublicUnicast(address)).toBe(expected);
  });
});

describe('isLinkLocalOrMetadata', () => {
  it.each<[string, boolean]>([
    ['169.254.169.254', true],
    ['169.254.1.1', true],
    ['0251.0376.0251.0376', true],
    ['100.100.100.200', true],
    ['fe80::1', true],
    ['fd00:ec2::254', true],
    ['::ffff:169.254.169.254', true],
    ['127.0.0.1', false],
    ['10.0.0.1', false],
    ['100.100.100.201', false],
    ['fd00:ec2::1', false],
    ['8.8.8.8', false],
    ['metadata.google.internal', false],
  ])('%j -> %j', (address, expected) => {
    expect(isLinkLocalOrMetadata(address)).toBe(expected);
  });
});
