import { createPrivateKey, X509Certificate } from 'node:crypto';
import { InvalidInputError } from '../../common/domain.errors';
import { hasControlCharacter } from '../../common/text';
import { validateDestinationUrl } from '../destination-url';
import {
  HEADER_LIMITS,
  SYSLOG_FACILITIES,
  SyslogFacilityName,
  syslogFacility,
} from '../formats/syslog-message';
import {
  KindSettingsSpec,
  optionalInteger,
  optionalPem,
  optionalString,
  ParsedSettings,
  rejectUnknownFields,
} from './kind-settings';

/** The IANA port of syslog over TLS (RFC 5425). */
export const SYSLOG_TLS_PORT = 6514;
export const DEFAULT_SYSLOG_FACILITY: SyslogFacilityName = 'local0';
export const DEFAULT_SYSLOG_APP_NAME = 'lacework-connector';
export const DEFAULT_SYSLOG_MSG_ID = 'ALERT';
/**
 * The longest message sent, in octets (the count in its frame): rsyslog's imtcp takes frames up to its MaxFrameSize,
 * 200000 by default, and reads a longer one as LF-framed text, merging it with the messages after it.
 */
export const DEFAULT_SYSLOG_MAX_MESSAGE_BYTES = 200_000;
/** RFC 5425: every receiver MUST accept messages of 2048 octets. */
export const MIN_SYSLOG_MAX_MESSAGE_BYTES = 2048;
export const MAX_SYSLOG_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const URL_FORM = 'must be tls://host:port (syslog over TLS; the port defaults to 6514)';
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const CERTIFICATE_LABELS = ['CERTIFICATE'] as const;
const KEY_LABELS = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'] as const;
const PEM_FIELDS: readonly string[] = ['caCertificate', 'clientCertificate'];
const KNOWN_FIELDS = [
  'caCertificate',
  'clientCertificate',
  'clientKey',
  'serverName',
  'facility',
  'appName',
  'hostname',
  'msgId',
  'maxMessageBytes',
] as const;

/** Where a syslog destination connects. */
export interface SyslogTarget {
  /** A name or an IP address (IPv6 without brackets). */
  host: string;
  port: number;
}

/** A syslog destination's configuration as the sender uses it; absent optional values stay undefined. */
export interface SyslogSettings {
  caCertificate?: string;
  clientCertificate?: string;
  clientKey?: string;
  serverName?: string;
  facility: number;
  appName: string;
  /** Undefined: the machine's hostname at send time. */
  hostname?: string;
  msgId: string;
  /** A message longer than this many octets is not sent but rejected. */
  maxMessageBytes: number;
}

function urlError(reason: string): InvalidInputError {
  return new InvalidInputError('url', reason);
}

/**
 * Checks a `tls://host[:port]` URL against the destination address policy (the same host rules as http(s)
 * destinations: no metadata names, no link-local, metadata, unspecified or multicast IP literals in any encoding) and
 * returns it normalised to `tls://host:port`.
 * @throws InvalidInputError naming `url`
 */
export function checkSyslogUrl(url: string): string {
  if (typeof url !== 'string' || url === '') {
    throw urlError('is required');
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1].toLowerCase();
  if (scheme !== 'tls') {
    throw urlError(URL_FORM);
  }
  const authority = url.slice('tls://'.length);
  if (/[/?#@]/.test(authority) || /%40/i.test(authority)) {
    throw urlError(`${URL_FORM}, without credentials, path, query or fragment`);
  }
  const portMatch = /^(\[[^\]]*\]|[^:]*)(?::(\d{1,5}))?$/.exec(authority);
  if (portMatch === null) {
    throw urlError(URL_FORM);
  }
  const port = portMatch[2] === undefined ? SYSLOG_TLS_PORT : Number(portMatch[2]);
  if (port < 1 || port > 65535) {
    throw urlError('port must be from 1 to 65535');
  }
  // The host rules are those of http(s) destinations: check the same host through them.
  const verdict = validateDestinationUrl(`https://${portMatch[1]}/`);
  if (!verdict.ok) {
    throw urlError(verdict.reason);
  }
  return `tls://${new URL(verdict.url).hostname}:${port}`;
}

/** The host and port of a normalised `tls://host:port` URL. */
export function syslogTarget(url: string): SyslogTarget {
  const normalised = checkSyslogUrl(url);
  const parsed = new URL(normalised.replace(/^tls:/, 'https:'));
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { host, port: Number(normalised.slice(normalised.lastIndexOf(':') + 1)) };
}

function printable(input: Record<string, unknown>, field: string, max: number): string | undefined {
  return optionalString(input, field, {
    max,
    pattern: PRINTABLE_ASCII,
    patternText: `must be printable US-ASCII without spaces, at most ${max} characters`,
  });
}

function checkCertificates(field: string, pem: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new InvalidInputError(`settings.${field}`, 'holds a certificate that cannot be read');
    }
  }
}

/** Validates and splits a syslog destination's settings (the client key is the only secret). */
function parseSyslogSettings(input: Record<string, unknown>): ParsedSettings {
  rejectUnknownFields(input, KNOWN_FIELDS);
  const caCertificate = optionalPem(input, 'caCertificate', CERTIFICATE_LABELS);
  const clientCertificate = optionalPem(input, 'clientCertificate', CERTIFICATE_LABELS);
  const clientKey = optionalPem(input, 'clientKey', KEY_LABELS);
  if (caCertificate !== undefined) {
    checkCertificates('caCertificate', caCertificate);
  }
  if (clientCertificate !== undefined && clientKey === undefined) {
    throw new InvalidInputError('settings.clientKey', 'is required with clientCertificate');
  }
  if (clientKey !== undefined && clientCertificate === undefined) {
    throw new InvalidInputError('settings.clientCertificate', 'is required with clientKey');
  }
  if (clientCertificate !== undefined && clientKey !== undefined) {
    checkCertificates('clientCertificate', clientCertificate);
    checkKeyPair(clientCertificate, clientKey);
  }
  const serverName = optionalString(input, 'serverName', {
    max: 253,
    pattern: DNS_NAME,
    patternText: 'must be a DNS name (the name in the receiver certificate)',
  });
  let facility: SyslogFacilityName = DEFAULT_SYSLOG_FACILITY;
  if (input.facility !== undefined && input.facility !== null) {
    const number = syslogFacility(input.facility);
    if (number === null) {
      throw new InvalidInputError(
        'settings.facility',
        `must be a facility name (${Object.keys(SYSLOG_FACILITIES).join(', ')}) or a number from 0 to 23`,
      );
    }
    facility = facilityName(number);
  }
  const settings: Record<string, unknown> = {
    facility,
    appName: printable(input, 'appName', HEADER_LIMITS.appName) ?? DEFAULT_SYSLOG_APP_NAME,
    msgId: printable(input, 'msgId', HEADER_LIMITS.msgId) ?? DEFAULT_SYSLOG_MSG_ID,
    maxMessageBytes:
      optionalInteger(input, 'maxMessageBytes', MIN_SYSLOG_MAX_MESSAGE_BYTES, MAX_SYSLOG_MAX_MESSAGE_BYTES) ??
      DEFAULT_SYSLOG_MAX_MESSAGE_BYTES,
  };
  const hostname = printable(input, 'hostname', HEADER_LIMITS.hostname);
  for (const [field, value] of Object.entries({ caCertificate, clientCertificate, serverName, hostname })) {
    if (value !== undefined) {
      settings[field] = value;
    }
  }
  return { settings, credentials: clientKey === undefined ? {} : { clientKey } };
}

function facilityName(number: number): SyslogFacilityName {
  const names = Object.keys(SYSLOG_FACILITIES) as SyslogFacilityName[];
  return names.find((name) => SYSLOG_FACILITIES[name] === number) ?? DEFAULT_SYSLOG_FACILITY;
}

/** Refuses an encrypted or unreadable key, or one that is not the certificate's; the error never quotes the key. */
function checkKeyPair(certificatePem: string, keyPem: string): void {
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new InvalidInputError('settings.clientKey', 'cannot be read (an encrypted key is not supported)');
  }
  const certificate = new X509Certificate(certificatePem);
  if (!certificate.checkPrivateKey(key)) {
    throw new InvalidInputError('settings.clientKey', 'is not the private key of clientCertificate');
  }
}

function storedString(settings: Record<string, unknown>, field: string): string | undefined {
  const value = settings[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (
    typeof value !== 'string' ||
    value === '' ||
    (!PEM_FIELDS.includes(field) && hasControlCharacter(value))
  ) {
    throw new InvalidInputError(`settings.${field}`, 'is not valid');
  }
  return value;
}

function storedMaxMessageBytes(settings: Record<string, unknown>): number {
  const value = settings.maxMessageBytes;
  if (value === undefined || value === null) {
    return DEFAULT_SYSLOG_MAX_MESSAGE_BYTES;
  }
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value < MIN_SYSLOG_MAX_MESSAGE_BYTES ||
    value > MAX_SYSLOG_MAX_MESSAGE_BYTES
  ) {
    throw new InvalidInputError('settings.maxMessageBytes', 'is not valid');
  }
  return value;
}

/**
 * Reads stored settings (after their round trip through the database) for sending, with the defaults applied.
 * @throws InvalidInputError naming the first field that is not valid
 */
export function readSyslogSettings(
  settings: Record<string, unknown>,
  credentials: Record<string, string>,
): SyslogSettings {
  const facility = syslogFacility(settings.facility ?? DEFAULT_SYSLOG_FACILITY);
  if (facility === null) {
    throw new InvalidInputError('settings.facility', 'is not a syslog facility');
  }
  const clientCertificate = storedString(settings, 'clientCertificate');
  const clientKey = credentials.clientKey === '' ? undefined : credentials.clientKey;
  if ((clientCertificate === undefined) !== (clientKey === undefined)) {
    throw new InvalidInputError(
      clientKey === undefined ? 'settings.clientKey' : 'settings.clientCertificate',
      'is required with the other half of the client certificate pair',
    );
  }
  return {
    caCertificate: storedString(settings, 'caCertificate'),
    clientCertificate,
    clientKey,
    serverName: storedString(settings, 'serverName'),
    facility,
    appName: storedString(settings, 'appName') ?? DEFAULT_SYSLOG_APP_NAME,
    hostname: storedString(settings, 'hostname'),
    msgId: storedString(settings, 'msgId') ?? DEFAULT_SYSLOG_MSG_ID,
    maxMessageBytes: storedMaxMessageBytes(settings),
  };
}

/** Syslog over TLS (RFC 5424 messages, RFC 5425 octet-counted framing). */
export const SYSLOG_SETTINGS: KindSettingsSpec = {
  kind: 'syslog',
  secretFields: ['clientKey'],
  requiredSecretFields: [],
  // The name and the CA the receiver is checked against decide who gets the client key, as the url does.
  targetFields: ['serverName', 'caCertificate'],
  batch: {
    defaultMaxEvents: 100,
    maxMaxEvents: 5000,
    defaultMaxBytes: 4 * 1024 * 1024,
    maxMaxBytes: 64 * 1024 * 1024,
  },
  exampleUrl: `tls://syslog.example.com:${SYSLOG_TLS_PORT}`,
  checkUrl: checkSyslogUrl,
  parse: parseSyslogSettings,
};
