import {
  DestinationUrlResult,
  isForbiddenDestinationAddress,
  validateDestinationUrl,
} from './destination-url';

const LINK_LOCAL = 'host must not be a link-local address';
const METADATA = 'host must not be a cloud metadata address';
const UNSPECIFIED = 'host must not be an unspecified address';
const MULTICAST = 'host must not be a multicast address';
const METADATA_NAME = 'host must not be a cloud metadata service';

describe('validateDestinationUrl', () => {
  describe('accepts', () => {
    it.each<[string, string]>([
      ['https://pipeline.example.com/ingest', 'https://pipeline.example.com/ingest'],
      ['http://127.0.0.1:4567/hook', 'http://127.0.0.1:4567/hook'],
      ['http://localhost:8080/', 'http://localhost:8080/'],
      ['HTTPS://Pipeline.Example.COM', 'https://pipeline.example.com/'],
      ['https://pipeline.example.com:443/x', 'https://pipeline.example.com/x'],
      [
        'https://pipeline.example.com/ingest?token=abc&v=2',
        'https://pipeline.example.com/ingest?token=abc&v=2',
      ],
      ['http://10.0.0.5:9000/events', 'http://10.0.0.5:9000/events'],
      ['http://192.168.1.10/events', 'http://192.168.1.10/events'],
      ['http://172.16.0.1/events', 'http://172.16.0.1/events'],
      ['http://100.64.0.1/events', 'http://100.64.0.1/events'],
      ['http://[::1]:4567/hook', 'http://[::1]:4567/hook'],
      ['http://[fd12:3456::1]/hook', 'http://[fd12:3456::1]/hook'],
      ['http://2130706433:4567/', 'http://127.0.0.1:4567/'],
      ['http://0x7f.1/', 'http://127.0.0.1/'],
      ['https://8.8.8.8/', 'https://8.8.8.8/'],
      ['https://b\u00fccher.example/', 'https://xn--bcher-kva.example/'],
      ['https://metadata.example.com/', 'https://metadata.example.com/'],
      ['https://my-metadata/', 'https://my-metadata/'],
      ['http://100.100.100.201/', 'http://100.100.100.201/'],
    ])('%j -> %j', (input, url) => {
      expect(validateDestinationUrl(input)).toEqual({ ok: true, url });
    });
  });

  describe('rejects', () => {
    it.each<[string, string]>([
      ['', 'is required'],
      ['ftp://pipeline.example.com/', 'must use http or https'],
      ['file:///etc/passwd', 'must use http or https'],
      ['javascript:alert(1)', 'must use http or https'],
      ['gopher://127.0.0.1:25/', 'must use http or https'],
      ['pipeline.example.com/ingest', 'must use http or https'],
      ['http:pipeline.example.com', 'must start with http:// or https://'],
      ['http:/pipeline.example.com', 'must start with http:// or https://'],
      ['https://user:pass@pipeline.example.com/', 'must not contain credentials'],
      ['https://user@pipeline.example.com/', 'must not contain credentials'],
      ['https://pipeline.example.com@169.254.169.254/', 'must not contain credentials'],
      ['https://pipeline.example.com%40evil.com/', 'must not contain credentials'],
      ['https://pipeline.example.com\\@evil.com/', 'must not contain backslashes'],
      ['https://pipeline.example.com/ingest#frag', 'must not have a fragment'],
      ['https://pipeline.example.com/#', 'must not have a fragment'],
      ['https://pipeline.example.com/ ingest', 'must not contain whitespace'],
      ['https://pipe\tline.example.com/', 'must not contain whitespace'],
      ['https://pipeline.example.com/\u0000', 'must not contain control characters'],
      ['https:///ingest', 'must include a host'],
      ['https://:443/ingest', 'must include a host'],
      ['https://pipeline.example.com:0/', 'port must be from 1 to 65535'],
      ['https://pipeline.example.com:65536/', 'is not a valid URL'],
      ['https://pipeline.example.com:port/', 'is not a valid URL'],
      ['https://1.2.3.4.5/', 'is not a valid URL'],
      ['https://[fe80::1%25eth0]/', 'is not a valid URL'],
      [`https://pipeline.example.com/${'a'.repeat(2048)}`, 'is too long'],
      ['http://169.254.169.254/latest/meta-data/', METADATA],
      ['http://169.254.169.254:80/', METADATA],
      ['http://2852039166/', METADATA],
      ['http://0xa9fea9fe/', METADATA],
      ['http://0xa9.0xfe.0xa9.0xfe/', METADATA],
      ['http://0251.0376.0251.0376/', METADATA],
      ['http://169.254.43518/', METADATA],
      ['http://%31%36%39.254.169.254/', METADATA],
      ['http://\uff11\uff16\uff19.\uff12\uff15\uff14.\uff11\uff16\uff19.\uff12\uff15\uff14/', METADATA],
      ['http://169.254.169.254./', METADATA],
      ['http://[::ffff:169.254.169.254]/', METADATA],
      ['http://[::ffff:a9fe:a9fe]/', METADATA],
      ['http://[fd00:ec2::254]/', METADATA],
      ['http://[FD00:EC2:0:0:0:0:0:254]/', METADATA],
      ['http://100.100.100.200/', METADATA],
      ['http://[::ffff:100.100.100.200]/', METADATA],
      ['http://168.63.129.16/', METADATA],
      ['http://169.254.170.2/v2/credentials', LINK_LOCAL],
      ['http://169.254.0.1/', LINK_LOCAL],
      ['http://[fe80::1]/', LINK_LOCAL],
      ['http://[febf::1]/', LINK_LOCAL],
      ['http://0.0.0.0:4567/', UNSPECIFIED],
      ['http://0/', UNSPECIFIED],
      ['http://0x/', UNSPECIFIED],
      ['http://[::]/', UNSPECIFIED],
      ['http://[::ffff:0.0.0.0]/', UNSPECIFIED],
      ['http://224.0.0.1/', MULTICAST],
      ['http://239.255.255.250:1900/', MULTICAST],
      ['http://[ff02::1]/', MULTICAST],
      ['http://metadata.google.internal/computeMetadata/v1/', METADATA_NAME],
      ['http://METADATA.GOOGLE.INTERNAL/', METADATA_NAME],
      ['http://metadata.google.internal./', METADATA_NAME],
      ['http://metadata.google.internal%2e/', METADATA_NAME],
      ['http://metadata/', METADATA_NAME],
      ['http://%6d%65tadata/', METADATA_NAME],
      ['http://metadata:80/', METADATA_NAME],
    ])('%j -> %j', (input, reason) => {
      expect(validateDestinationUrl(input)).toEqual<DestinationUrlResult>({ ok: false, reason });
    });
  });
});

describe('isForbiddenDestinationAddress', () => {
  it.each<[string, boolean]>([
    ['169.254.169.254', true],
    ['169.254.1.1', true],
    ['100.100.100.200', true],
    ['168.63.129.16', true],
    ['fd00:ec2::254', true],
    ['fe80::1', true],
    ['fe80::1%eth0', true],
    ['::ffff:169.254.169.254', true],
    ['::ffff:a9fe:a9fe', true],
    ['0.0.0.0', true],
    ['::', true],
    ['224.0.0.251', true],
    ['ff02::fb', true],
    ['', true],
    ['not-an-address', true],
    ['127.0.0.1', false],
    ['::1', false],
    ['::ffff:127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.20.0.2', false],
    ['192.168.0.10', false],
    ['100.64.0.1', false],
    ['fd12:3456::1', false],
    ['8.8.8.8', false],
    ['2606:4700:4700::1111', false],
  ])('%j -> %j', (address, forbidden) => {
    expect(isForbiddenDestinationAddress(address)).toBe(forbidden);
  });
});
