import { laceworkConsoleUrl } from './console-url';

describe('laceworkConsoleUrl', () => {
  it('links to the alert on the organization host, naming the account', () => {
    expect(laceworkConsoleUrl('https://acme.lacework.net', '967278', null)).toBe(
      'https://acme.lacework.net/ui/investigation/monitor/AlertInbox/967278/details?accountName=acme',
    );
  });

  it('keeps a cluster host and names the sub-account when there is one', () => {
    expect(laceworkConsoleUrl('https://acme.fra.lacework.net/', '42', 'acme-dev')).toBe(
      'https://acme.fra.lacework.net/ui/investigation/monitor/AlertInbox/42/details?accountName=acme-dev',
    );
  });

  it('drops any path, query or fragment of the organization URL and keeps its port', () => {
    expect(laceworkConsoleUrl('https://acme.lacework.net:8443/api/v2?x=1#y', '7', null)).toBe(
      'https://acme.lacework.net:8443/ui/investigation/monitor/AlertInbox/7/details?accountName=acme',
    );
  });

  it('accepts a bare host and a mixed-case one', () => {
    expect(laceworkConsoleUrl(' Acme.Lacework.NET ', '7', null)).toBe(
      'https://acme.lacework.net/ui/investigation/monitor/AlertInbox/7/details?accountName=acme',
    );
  });

  it('URL-encodes the account name and the alert id', () => {
    expect(laceworkConsoleUrl('https://acme.lacework.net', 'a/b', 'dev & test')).toBe(
      'https://acme.lacework.net/ui/investigation/monitor/AlertInbox/a%2Fb/details?accountName=dev%20%26%20test',
    );
  });

  it('falls back to the account for a blank sub-account', () => {
    expect(laceworkConsoleUrl('https://acme.lacework.net', '1', '  ')).toMatch(/\?accountName=acme$/);
  });

  it.each([
    ['https://', /not a valid URL/],
    ['ftp://acme.lacework.net', /must be http or https/],
  ])('refuses the organization URL %p', (url, message) => {
    expect(() => laceworkConsoleUrl(url, '1', null)).toThrow(message);
  });

  it('refuses an empty alert id', () => {
    expect(() => laceworkConsoleUrl('https://acme.lacework.net', ' ', null)).toThrow(/alert id/);
  });
});
