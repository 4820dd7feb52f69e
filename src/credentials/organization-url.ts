import { parseIpLiteral } from '../common/net/ip-policy';
import { hasControlCharacter } from '../common/text';

/** A normalized organization URL, or the reason the input is not one. */
export type OrganizationUrlResult =
  { ok: true; url: string; account: string; host: string } | { ok: false; reason: string };

const LACEWORK_SUFFIX = '.lacework.net';
const MAX_INPUT_LENGTH = 2048;
const MAX_HOST_LENGTH = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const PORT = /^[0-9]{1,5}$/;
const EXTRA_HOST = /^[a-z0-9._-]+$/;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { http: '80', https: '443' };
const HAS_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
export const EXPECTED_ORGANIZATION_URL =
  'https://<account>.lacework.net or https://<account>.<cluster>.lacework.net';

interface Authority {
  hostname: string;
  port: string | null;
}

function reject(reason: string): OrganizationUrlResult {
  return { ok: false, reason };
}

function rawCharacterProblem(input: string): string | null {
  if (/\s/.test(input)) {
    return 'must not contain whitespace';
  }
  if (hasControlCharacter(input)) {
    return 'must not contain control characters';
  }
  if (/[^\x21-\x7e]/.test(input)) {
    return 'must contain only ASCII characters';
  }
  if (input.includes('\\')) {
    return 'must not contain backslashes';
  }
  // An @ or its encoding anywhere is the classic way to make one host look like another.
  if (input.includes('@') || /%40/i.test(input)) {
    return 'must not contain credentials';
  }
  return null;
}

/** Splits `host[:port]` or `[v6][:port]`; null when the shape is broken. */
function splitAuthority(authority: string): Authority | null {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    if (end < 0) {
      return null;
    }
    const after = authority.slice(end + 1);
    if (after !== '' && !after.startsWith(':')) {
      return null;
    }
    return { hostname: authority.slice(0, end + 1), port: after === '' ? null : after.slice(1) };
  }
  const colon = authority.indexOf(':');
  if (colon < 0) {
    return { hostname: authority, port: null };
  }
  return { hostname: authority.slice(0, colon), port: authority.slice(colon + 1) };
}

/** Reads an operator's allow-list entry (`host`, `host:port`, `[v6]`, `[v6]:port`, bare IPv6) as host and port. */
function parseAllowedEntry(entry: string): Authority | null {
  const text = entry.trim().toLowerCase();
  if (text === '') {
    return null;
  }
  if (!text.startsWith('[') && (text.match(/:/g) ?? []).length > 1) {
    return { hostname: `[${text}]`, port: null };
  }
  const split = splitAuthority(text);
  if (split === null || split.hostname === '' || (split.port !== null && !PORT.test(split.port))) {
    return null;
  }
  return { hostname: split.hostname, port: split.port === null ? null : String(Number(split.port)) };
}

function isExtraAllowed(
  hostname: string,
  effectivePort: string,
  extraAllowedHosts: readonly string[],
): boolean {
  return extraAllowedHosts.some((entry) => {
    const allowed = parseAllowedEntry(entry);
    return (
      allowed !== null &&
      allowed.hostname === hostname &&
      (allowed.port === null || allowed.port === effectivePort)
    );
  });
}

function laceworkHostProblem(hostname: string): string | null {
  if (hostname === '') {
    return 'must include a host';
  }
  if (hostname.length > MAX_HOST_LENGTH) {
    return 'host is too long';
  }
  if (hostname.startsWith('[') || parseIpLiteral(hostname) !== null) {
    return 'host must be <account>.lacework.net, not an IP address';
  }
  if (!hostname.endsWith(LACEWORK_SUFFIX)) {
    return 'host must be <account>.lacework.net';
  }
  const labels = hostname.slice(0, -LACEWORK_SUFFIX.length).split('.');
  if (labels.length > 2 || (labels.length === 1 && labels[0] === '')) {
    return 'host must be <account>.lacework.net or <account>.<cluster>.lacework.net';
  }
  if (labels.some((label) => label === '')) {
    return 'host must not contain empty labels';
  }
  if (labels.some((label) => !LABEL.test(label))) {
    return 'account and cluster must be 1-63 letters, digits or hyphens, not starting or ending with a hyphen';
  }
  return null;
}

function extraHostProblem(hostname: string): string | null {
  if (hostname.startsWith('[')) {
    return parseIpLiteral(hostname) === null ? 'host is not a valid IPv6 address' : null;
  }
  return EXTRA_HOST.test(hostname) && hostname.length <= MAX_HOST_LENGTH ? null : 'host is not valid';
}

function portProblem(port: string | null, laceworkHost: boolean): string | null {
  if (port === null) {
    return null;
  }
  if (laceworkHost) {
    return port === '443' ? null : 'must not have a port other than 443';
  }
  if (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535) {
    return 'port must be a number from 1 to 65535';
  }
  return null;
}

function remainderProblem(remainder: string): string | null {
  const fragmentAt = remainder.indexOf('#');
  const queryAt = remainder.indexOf('?');
  const pathEnd = Math.min(...[fragmentAt, queryAt, remainder.length].filter((index) => index >= 0));
  const path = remainder.slice(0, pathEnd);
  if (path !== '' && path !== '/') {
    return 'must not have a path';
  }
  if (queryAt >= 0 && (fragmentAt < 0 || queryAt < fragmentAt)) {
    return 'must not have a query';
  }
  if (fragmentAt >= 0) {
    return 'must not have a fragment';
  }
  return null;
}

/**
 * Checks and normalizes a Lacework organization URL: only `https://<account>[.<cluster>].lacework.net`, with no
 * credentials, port (other than 443), path, query or fragment. Hosts listed in `extraAllowedHosts` (`host` or
 * `host:port`, for fakes and private gateways) are also admitted, over http or https and with a port.
 * The raw text is inspected as well as parsed, because URL parsers silently repair many of the tricks that matter.
 * On success `url` is lower case without a trailing slash, `host` is the URL's host (with a non-default port), and
 * `account` is the first label of the host name (or the address itself for an IP).
 */
export function normalizeOrganizationUrl(
  input: string,
  extraAllowedHosts: readonly string[],
): OrganizationUrlResult {
  if (typeof input !== 'string' || input === '') {
    return reject('is required');
  }
  if (input.length > MAX_INPUT_LENGTH) {
    return reject('is too long');
  }
  const characterProblem = rawCharacterProblem(input);
  if (characterProblem !== null) {
    return reject(characterProblem);
  }
  const scheme = SCHEME.exec(input)?.[1].toLowerCase();
  if (scheme === undefined) {
    return reject('must start with https://');
  }
  if (scheme !== 'https' && scheme !== 'http') {
    return reject('must use https');
  }
  const afterScheme = input.slice(scheme.length + 1);
  if (!afterScheme.startsWith('//')) {
    return reject('must start with https://');
  }
  const rest = afterScheme.slice(2);
  const authorityEnd = rest.search(/[/?#]/);
  const authority = (authorityEnd < 0 ? rest : rest.slice(0, authorityEnd)).toLowerCase();
  const remainder = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  if (authority.includes('%')) {
    return reject('host must not be percent-encoded');
  }
  const split = splitAuthority(authority);
  if (split === null) {
    return reject('host is not valid');
  }
  const { hostname, port } = split;
  const effectivePort = port === null || port === '' ? DEFAULT_PORTS[scheme] : String(Number(port));
  const extra = hostname !== '' && isExtraAllowed(hostname, effectivePort, extraAllowedHosts);

  if (!extra) {
    const hostProblem = laceworkHostProblem(hostname);
    if (hostProblem !== null) {
      return reject(hostProblem);
    }
    if (scheme !== 'https') {
      return reject('must use https');
    }
  }
  const problem =
    (extra ? extraHostProblem(hostname) : null) ?? portProblem(port, !extra) ?? remainderProblem(remainder);
  if (problem !== null) {
    return reject(problem);
  }

  const host = effectivePort === DEFAULT_PORTS[scheme] ? hostname : `${hostname}:${effectivePort}`;
  const url = `${scheme}://${host}`;
  // A second opinion from the WHATWG parser: if it reads our result differently, something slipped through.
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return reject('is not a valid URL');
  }
  if (parsed.href !== `${url}/` || parsed.host !== host) {
    return reject('is not a valid URL');
  }
  const ip = parseIpLiteral(hostname);
  const account = ip === null ? hostname.split('.')[0] : hostname.replace(/^\[|\]$/g, '');
  return { ok: true, url, account, host };
}

/** What a user typed, read as an organization URL, with a note when it had to be reduced to one. */
export type OrganizationUrlInputResult =
  | (Extract<OrganizationUrlResult, { ok: true }> & { reducedFrom: string | null })
  | { ok: false; reason: string };

/**
 * Reads an organization URL as users paste it: `acme.lacework.net`, `https://acme.lacework.net/`, or a console
 * link such as `https://acme.lacework.net/ui/investigation/...`. A Lacework host without a scheme gets `https://`;
 * the path, query and fragment of a Lacework host are dropped (only the host is ever used). Everything else is
 * judged by `normalizeOrganizationUrl` as is, and a refusal shows the expected form.
 */
export function readOrganizationUrl(
  input: string,
  extraAllowedHosts: readonly string[],
): OrganizationUrlInputResult {
  const text = typeof input === 'string' ? input.trim() : input;
  let candidate = text;
  if (typeof text === 'string' && text !== '' && text.length <= MAX_INPUT_LENGTH) {
    const withScheme = HAS_SCHEME.test(text) || !looksLikeLaceworkHost(text) ? text : `https://${text}`;
    candidate = laceworkOrigin(withScheme) ?? withScheme;
  }
  const result = normalizeOrganizationUrl(candidate, extraAllowedHosts);
  if (!result.ok) {
    return { ok: false, reason: `${result.reason} (expected ${EXPECTED_ORGANIZATION_URL})` };
  }
  return { ...result, reducedFrom: input === result.url ? null : input };
}

/** True when the text starts with a bare Lacework host name (no scheme), e.g. `acme.lacework.net/ui`. */
function looksLikeLaceworkHost(text: string): boolean {
  const host = text.split(/[/?#]/, 1)[0].toLowerCase();
  return laceworkHostProblem(host) === null;
}

/** `https://<lacework host>` when the text is an https URL on a Lacework host followed by a path, query or fragment. */
function laceworkOrigin(text: string): string | null {
  const match = /^https:\/\/([^/?#]*)[/?#]/i.exec(text);
  if (match === null || rawCharacterProblem(text) !== null) {
    return null;
  }
  const host = match[1].toLowerCase();
  return laceworkHostProblem(host) === null ? `https://${host}` : null;
}
