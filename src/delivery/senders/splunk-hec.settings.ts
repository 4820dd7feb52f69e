import { InvalidInputError } from '../../common/domain.errors';
import type { KindSettingsSpec, ParsedSettings } from './kind-settings';
import {
  checkHttpUrl,
  optionalBoolean,
  optionalInteger,
  optionalString,
  rejectUnknownFields,
  requiredString,
} from './kind-settings';

/** The non-secret settings of a Splunk HEC destination, as the sender reads them. */
export interface SplunkHecSettings {
  index?: string;
  source?: string;
  sourcetype: string;
  host?: string;
  useAck: boolean;
  ackTimeoutMs: number;
}

export const SPLUNK_HEC_EVENT_PATH = '/services/collector/event';
export const SPLUNK_HEC_ACK_PATH = '/services/collector/ack';
export const DEFAULT_SPLUNK_SOURCETYPE = 'lacework:alert';
export const DEFAULT_SPLUNK_ACK_TIMEOUT_MS = 30_000;

const KNOWN_FIELDS = ['token', 'index', 'source', 'sourcetype', 'host', 'useAck', 'ackTimeoutMs'] as const;
const EVENT_PATHS: readonly string[] = [
  '/services/collector',
  SPLUNK_HEC_EVENT_PATH,
  `${SPLUNK_HEC_EVENT_PATH}/1.0`,
];
const MIB = 1024 * 1024;

/**
 * Printable ASCII without spaces: HEC tokens are GUIDs in practice, but Splunk accepts any token text, and a space or
 * a character outside ASCII could not travel intact in the Authorization header.
 */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;
/** Splunk's index naming rule: lowercase letters, digits, underscores and hyphens, not starting with a hyphen. */
const INDEX_PATTERN = /^[a-z0-9_][a-z0-9_-]*$/;

/** Checks a collector URL and points it at the event endpoint (an empty path means the default one). */
function checkSplunkHecUrl(input: string): string {
  const url = new URL(checkHttpUrl(input));
  if (url.search !== '') {
    throw new InvalidInputError('url', 'must not have a query string (the token goes in settings.token)');
  }
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, '') : url.pathname;
  if (path === '' || path === '/') {
    return `${url.origin}${SPLUNK_HEC_EVENT_PATH}`;
  }
  if (path === '/services/collector/raw' || path.startsWith('/services/collector/raw/')) {
    throw new InvalidInputError(
      'url',
      `the raw endpoint /services/collector/raw is not supported: events are sent as JSON envelopes to ${SPLUNK_HEC_EVENT_PATH}`,
    );
  }
  if (!EVENT_PATHS.includes(path)) {
    throw new InvalidInputError(
      'url',
      `path must be ${SPLUNK_HEC_EVENT_PATH}, /services/collector or ${SPLUNK_HEC_EVENT_PATH}/1.0 (or empty for the first)`,
    );
  }
  return `${url.origin}${path}`;
}

function parseSplunkHecSettings(input: Record<string, unknown>): ParsedSettings {
  rejectUnknownFields(input, KNOWN_FIELDS);
  const token = requiredString(input, 'token', {
    max: 256,
    pattern: TOKEN_PATTERN,
    patternText: 'must be printable ASCII characters without spaces',
  });
  const index = optionalString(input, 'index', {
    max: 80,
    pattern: INDEX_PATTERN,
    patternText: 'must be lowercase letters, digits, underscores and hyphens, not starting with a hyphen',
  });
  const source = optionalString(input, 'source');
  const sourcetype = optionalString(input, 'sourcetype') ?? DEFAULT_SPLUNK_SOURCETYPE;
  const host = optionalString(input, 'host', { max: 255 });
  const useAck = optionalBoolean(input, 'useAck') ?? false;
  const ackTimeoutMs = optionalInteger(input, 'ackTimeoutMs', 1000, 600_000) ?? DEFAULT_SPLUNK_ACK_TIMEOUT_MS;
  const settings: SplunkHecSettings = { sourcetype, useAck, ackTimeoutMs };
  if (index !== undefined) {
    settings.index = index;
  }
  if (source !== undefined) {
    settings.source = source;
  }
  if (host !== undefined) {
    settings.host = host;
  }
  return { settings: { ...settings }, credentials: { token } };
}

/** Reads stored settings (after their round trip through jsonb), falling back to the defaults for anything odd. */
export function readSplunkHecSettings(stored: Record<string, unknown>): SplunkHecSettings {
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value : undefined;
  const settings: SplunkHecSettings = {
    sourcetype: text(stored.sourcetype) ?? DEFAULT_SPLUNK_SOURCETYPE,
    useAck: stored.useAck === true,
    ackTimeoutMs:
      typeof stored.ackTimeoutMs === 'number' &&
      Number.isInteger(stored.ackTimeoutMs) &&
      stored.ackTimeoutMs > 0
        ? stored.ackTimeoutMs
        : DEFAULT_SPLUNK_ACK_TIMEOUT_MS,
  };
  const index = text(stored.index);
  const source = text(stored.source);
  const host = text(stored.host);
  if (index !== undefined) {
    settings.index = index;
  }
  if (source !== undefined) {
    settings.source = source;
  }
  if (host !== undefined) {
    settings.host = host;
  }
  return settings;
}

/** Splunk HTTP Event Collector: a token, optional envelope metadata, and optional indexer acknowledgement. */
export const SPLUNK_HEC_SETTINGS: KindSettingsSpec = {
  kind: 'splunk_hec',
  secretFields: ['token'],
  requiredSecretFields: ['token'],
  targetFields: [],
  batch: {
    defaultMaxEvents: 100,
    maxMaxEvents: 10_000,
    // Splunk Cloud's request limit; Splunk Enterprise's default max_content_length is 800 MiB.
    defaultMaxBytes: MIB,
    maxMaxBytes: 800 * MIB,
  },
  exampleUrl: 'https://splunk.example.com:8088/services/collector/event',
  checkUrl: checkSplunkHecUrl,
  parse: parseSplunkHecSettings,
};
