import { domainToASCII } from 'node:url';
import ipaddr from 'ipaddr.js';

/** What kind of network an address belongs to, from the point of view of an outbound connection. */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'metadata'
  | 'unique_local'
  | 'cgnat'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
type Range = readonly [IpAddress, number];

function cidr(text: string): Range {
  return ipaddr.parseCIDR(text);
}

// Order matters: the first matching row wins, so the narrow metadata rows come before the ranges that contain them.
const IPV4_RANGES: readonly (readonly [Range, AddressClass])[] = [
  [cidr('169.254.169.254/32'), 'metadata'],
  [cidr('100.100.100.200/32'), 'metadata'],
  // Azure's platform endpoint answers only from inside a VM, which makes it as sensitive as the metadata service.
  [cidr('168.63.129.16/32'), 'metadata'],
  [cidr('0.0.0.0/8'), 'unspecified'],
  [cidr('127.0.0.0/8'), 'loopback'],
  [cidr('10.0.0.0/8'), 'private'],
  [cidr('172.16.0.0/12'), 'private'],
  [cidr('192.168.0.0/16'), 'private'],
  [cidr('169.254.0.0/16'), 'link_local'],
  [cidr('100.64.0.0/10'), 'cgnat'],
  [cidr('224.0.0.0/4'), 'multicast'],
  [cidr('192.0.0.0/24'), 'reserved'],
  [cidr('192.0.2.0/24'), 'reserved'],
  [cidr('192.88.99.0/24'), 'reserved'],
  [cidr('198.18.0.0/15'), 'reserved'],
  [cidr('198.51.100.0/24'), 'reserved'],
  [cidr('203.0.113.0/24'), 'reserved'],
  [cidr('240.0.0.0/4'), 'reserved'],
];

const IPV6_RANGES: readonly (readonly [Range, AddressClass])[] = [
  [cidr('fd00:ec2::254/128'), 'metadata'],
  [cidr('::/128'), 'unspecified'],
  [cidr('::1/128'), 'loopback'],
  [cidr('fe80::/10'), 'link_local'],
  [cidr('fc00::/7'), 'unique_local'],
  [cidr('ff00::/8'), 'multicast'],
  [cidr('2001:db8::/32'), 'reserved'],
  [cidr('2001::/23'), 'reserved'],
  [cidr('2002::/16'), 'reserved'],
  [cidr('2000::/3'), 'public'],
];

// IPv6 forms that stand for an IPv4 host (mapped, SIIT-translated, NAT64); they are judged by the IPv4 address inside.
const IPV4_EMBEDDING_PREFIXES: readonly Range[] = [
  cidr('::ffff:0:0/96'),
  cidr('::ffff:0:0:0/96'),
  cidr('64:ff9b::/96'),
];

const DECIMAL_PART = /^(?:0|[1-9][0-9]*)$/;
const OCTAL_PART = /^0[0-7]+$/;
const HEX_PART = /^0[xX][0-9a-fA-F]*$/;
const WHITESPACE = /[\t\n\v\f\r ]/;

function parseNumericPart(part: string): bigint | null {
  // Longer parts cannot be valid and would only make BigInt slow.
  if (part.length > 40) {
    return null;
  }
  if (HEX_PART.test(part)) {
    return part.length === 2 ? 0n : BigInt(`0x${part.slice(2)}`);
  }
  if (OCTAL_PART.test(part)) {
    return BigInt(`0o${part.slice(1)}`);
  }
  if (DECIMAL_PART.test(part)) {
    return BigInt(part);
  }
  return null;
}

/** The IPv4 number forms both inet_aton and the WHATWG URL parser accept: 1-4 parts, each decimal, 0-octal or 0x-hex. */
function parseLooseIpv4(text: string): string | null {
  const parts = text.split('.');
  if (parts.length > 1 && parts[parts.length - 1] === '') {
    parts.pop();
  }
  if (parts.length === 0 || parts.length > 4) {
    return null;
  }
  const values: bigint[] = [];
  for (const part of parts) {
    const value = parseNumericPart(part);
    if (value === null) {
      return null;
    }
    values.push(value);
  }
  const last = values.pop() as bigint;
  if (values.some((value) => value > 255n)) {
    return null;
  }
  if (last >= 256n ** BigInt(4 - values.length)) {
    return null;
  }
  let address = last;
  values.forEach((value, index) => {
    address += value << BigInt(8 * (3 - index));
  });
  return [24n, 16n, 8n, 0n].map((shift) => ((address >> shift) & 255n).toString()).join('.');
}

function parseIpv6(text: string): string | null {
  const withoutZone = text.replace(/%.*$/s, '');
  if (withoutZone === '' || !/^[0-9a-fA-F:.]+$/.test(withoutZone)) {
    return null;
  }
  try {
    // The WHATWG parser is the stricter reference (ipaddr.js reads `::1.2.3.4` as IPv4-mapped); it serialises in hex.
    return new URL(`http://[${withoutZone}]/`).hostname.slice(1, -1);
  } catch {
    return ipaddr.IPv6.isValid(withoutZone) ? ipaddr.IPv6.parse(withoutZone).toString() : null;
  }
}

/**
 * Recognises an IP literal in any encoding a URL parser or a resolver accepts and returns it in canonical form
 * (dotted decimal for IPv4, compressed lower-case hex without brackets or zone for IPv6), or null for a host name.
 * Handles decimal integers (`2130706433`), hex (`0x7f000001`, `0x7f.0.0.1`), octal (`0177.0.0.1`), short forms
 * (`127.1`), a trailing dot, percent-encoding and full-width digits, and IPv6 with or without brackets.
 */
export function parseIpLiteral(host: string): string | null {
  if (host === '') {
    return null;
  }
  if (host.startsWith('[')) {
    return host.endsWith(']') ? parseIpv6(host.slice(1, -1)) : null;
  }
  if (host.includes(':')) {
    return parseIpv6(host);
  }
  const direct = parseLooseIpv4(host);
  if (direct !== null) {
    return direct;
  }
  // glibc's inet_aton, and so getaddrinfo, accepts an address followed by whitespace and anything at all.
  const beforeWhitespace = host.split(WHITESPACE)[0];
  if (beforeWhitespace !== host && beforeWhitespace !== '') {
    const leading = parseLooseIpv4(beforeWhitespace);
    if (leading !== null) {
      return leading;
    }
  }
  // The WHATWG host parser percent-decodes and maps full-width characters before it looks for an IPv4 number.
  const ascii = domainToASCII(host);
  if (ascii !== '' && ascii !== host) {
    return parseLooseIpv4(ascii);
  }
  return null;
}

function classifyIpv4(address: ipaddr.IPv4): AddressClass {
  for (const [range, addressClass] of IPV4_RANGES) {
    if (address.match(range[0], range[1])) {
      return addressClass;
    }
  }
  return address.toString() === '255.255.255.255' ? 'reserved' : 'public';
}

function classifyIpv6(address: ipaddr.IPv6): AddressClass {
  for (const prefix of IPV4_EMBEDDING_PREFIXES) {
    if (address.match(prefix[0], prefix[1])) {
      const bytes = address.toByteArray().slice(12);
      return classifyIpv4(new ipaddr.IPv4(bytes));
    }
  }
  for (const [range, addressClass] of IPV6_RANGES) {
    if (address.match(range[0], range[1])) {
      return addressClass;
    }
  }
  return 'reserved';
}

/**
 * Classifies an IPv4 or IPv6 address; IPv4-mapped, IPv4-translated and NAT64 IPv6 addresses are judged by the IPv4
 * address they carry. Accepts every encoding `parseIpLiteral` does.
 * @throws Error when `address` is not an IP address.
 */
export function classifyAddress(address: string): AddressClass {
  const canonical = parseIpLiteral(address);
  if (canonical === null) {
    throw new Error('not an IP address');
  }
  const parsed = ipaddr.parse(canonical);
  return parsed.kind() === 'ipv4' ? classifyIpv4(parsed as ipaddr.IPv4) : classifyIpv6(parsed as ipaddr.IPv6);
}

function classifyOrNull(address: string): AddressClass | null {
  return parseIpLiteral(address) === null ? null : classifyAddress(address);
}

/** True only for a parseable address on the public internet; false for anything else, including non-addresses. */
export function isPublicUnicast(address: string): boolean {
  return classifyOrNull(address) === 'public';
}

/** True for link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254, 100.100.100.200). */
export function isLinkLocalOrMetadata(address: string): boolean {
  const addressClass = classifyOrNull(address);
  return addressClass === 'link_local' || addressClass === 'metadata';
}
