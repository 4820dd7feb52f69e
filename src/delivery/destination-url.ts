import { AddressClass, classifyAddress, parseIpLiteral } from '../common/net/ip-policy';
import { hasControlCharacter } from '../common/text';

/** A normalized destination URL, or the reason the input is not acceptable. */
export type DestinationUrlResult = { ok: true; url: string } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// Private networks and loopback stay allowed: pipelines run inside the same network, and tests use 127.0.0.1.
const FORBIDDEN_CLASSES: Readonly<Partial<Record<AddressClass, string>>> = {
  link_local: 'host must not be a link-local address',
  metadata: 'host must not be a cloud metadata address',
  unspecified: 'host must not be an unspecified address',
  multicast: 'host must not be a multicast address',
};
const METADATA_HOSTNAMES: ReadonlySet<string> = new Set(['metadata', 'metadata.google.internal']);

function reject(reason: string): DestinationUrlResult {
  return { ok: false, reason };
}

/** The host part of a raw `host[:port]` or `[v6][:port]` authority, before any URL parser has rewritten it. */
function rawHost(authority: string): string {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    return end < 0 ? authority : authority.slice(0, end + 1);
  }
  const colon = authority.indexOf(':');
  return colon < 0 ? authority : authority.slice(0, colon);
}

function addressProblem(address: string): string | null {
  const canonical = parseIpLiteral(address);
  if (canonical === null) {
    return null;
  }
  return FORBIDDEN_CLASSES[classifyAddress(canonical)] ?? null;
}

/**
 * True when an outbound delivery must not connect to `address` (checked again at connect time, after DNS):
 * link-local, cloud metadata, unspecified and multicast addresses, and anything that is not an IP address at all.
 */
export function isForbiddenDestinationAddress(address: string): boolean {
  const canonical = parseIpLiteral(address);
  return canonical === null || FORBIDDEN_CLASSES[classifyAddress(canonical)] !== undefined;
}

/**
 * Checks a downstream destination URL: http or https, no credentials or fragment, and a host that is neither a cloud
 * metadata name nor an IP literal (in any encoding) in a link-local, metadata, unspecified or multicast range.
 * Returns the URL as the WHATWG parser normalizes it.
 */
export function validateDestinationUrl(input: string): DestinationUrlResult {
  if (typeof input !== 'string' || input === '') {
    return reject('is required');
  }
  if (input.length > MAX_URL_LENGTH) {
    return reject('is too long');
  }
  // The WHATWG parser silently drops tabs and newlines and reads backslashes as slashes; refuse them instead.
  if (/\s/.test(input)) {
    return reject('must not contain whitespace');
  }
  if (hasControlCharacter(input)) {
    return reject('must not contain control characters');
  }
  if (input.includes('\\')) {
    return reject('must not contain backslashes');
  }
  const scheme = SCHEME.exec(input)?.[1].toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') {
    return reject('must use http or https');
  }
  const afterScheme = input.slice(scheme.length + 1);
  if (!afterScheme.startsWith('//')) {
    return reject('must start with http:// or https://');
  }
  const rest = afterScheme.slice(2);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  if (authority.includes('@') || /%40/i.test(authority)) {
    return reject('must not contain credentials');
  }
  if (authority === '' || authority.startsWith(':')) {
    return reject('must include a host');
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return reject('is not a valid URL');
  }
  if (url.username !== '' || url.password !== '') {
    return reject('must not contain credentials');
  }
  if (input.includes('#')) {
    return reject('must not have a fragment');
  }
  if (url.port === '0') {
    return reject('port must be from 1 to 65535');
  }
  const problem = addressProblem(url.hostname) ?? addressProblem(rawHost(authority));
  if (problem !== null) {
    return reject(problem);
  }
  if (METADATA_HOSTNAMES.has(url.hostname.replace(/\.+$/, ''))) {
    return reject('host must not be a cloud metadata service');
  }
  return { ok: true, url: url.href };
}
