import { InvalidInputError } from '../../common/domain.errors';
import {
  KindSettingsSpec,
  ParsedSettings,
  checkHttpUrl,
  optionalString,
  rejectUnknownFields,
  requiredString,
} from './kind-settings';

const MIB = 1024 * 1024;
const FIELDS = ['index', 'auth', 'apiKey', 'username', 'password'] as const;

/** How the connector proves itself to the cluster. */
export const ELASTICSEARCH_AUTH_MODES = ['api_key', 'basic'] as const;
export type ElasticsearchAuthMode = (typeof ELASTICSEARCH_AUTH_MODES)[number];

/** The non-secret settings of an elasticsearch destination, as stored. */
export interface ElasticsearchSettings {
  index: string;
  auth: ElasticsearchAuthMode;
  /** Basic auth only. */
  username?: string;
}

/** Characters Elasticsearch refuses in an index or data stream name (`:` is reserved for remote clusters). */
const FORBIDDEN_INDEX_CHARACTERS = ['\\', '/', '*', '?', '"', '<', '>', '|', ',', '#', ' ', ':'];

/** Why `name` is not a valid Elasticsearch index or data stream name, or null when it is. */
export function indexNameProblem(name: string): string | null {
  if (name === '.' || name === '..') {
    return 'must not be "." or ".."';
  }
  if (name !== name.toLowerCase()) {
    return 'must be lowercase';
  }
  const forbidden = FORBIDDEN_INDEX_CHARACTERS.find((c) => name.includes(c));
  if (forbidden !== undefined) {
    return `must not contain ${forbidden === ' ' ? 'spaces' : `"${forbidden}"`} (nor any of \\ / * ? " < > | , # : or space)`;
  }
  if (/^[-_+]/.test(name)) {
    return 'must not start with "-", "_" or "+"';
  }
  if (Buffer.byteLength(name, 'utf8') > 255) {
    return 'must be at most 255 bytes';
  }
  return null;
}

/** Checks the cluster's base URL: http(s), optionally with a path prefix for a proxy, no query, not the `_bulk` URL. */
function checkElasticsearchUrl(url: string): string {
  const checked = checkHttpUrl(url);
  const parsed = new URL(checked);
  if (parsed.search !== '' || url.includes('?')) {
    throw new InvalidInputError('url', 'must not have a query: give the base URL of the cluster');
  }
  if (/\/_bulk\/?$/.test(parsed.pathname)) {
    throw new InvalidInputError('url', 'must be the base URL of the cluster, without /_bulk');
  }
  return checked;
}

/** A secret setting: the same checks as any string, and never echoed (the helpers name the field, not the value). */
function secretString(input: Record<string, unknown>, field: string, requiredFor: string): string {
  const value = optionalString(input, field, { max: 4096 });
  if (value === undefined) {
    throw new InvalidInputError(`settings.${field}`, `is required when auth is ${requiredFor}`);
  }
  return value;
}

function refuseUnused(input: Record<string, unknown>, fields: readonly string[], auth: string): void {
  const present = fields.find((field) => input[field] !== undefined && input[field] !== null);
  if (present !== undefined) {
    throw new InvalidInputError(`settings.${present}`, `is not used when auth is ${auth}`);
  }
}

/** Elasticsearch and OpenSearch: `_bulk` with `create` actions into one index or data stream. */
export const ELASTICSEARCH_SETTINGS: KindSettingsSpec = {
  kind: 'elasticsearch',
  secretFields: ['apiKey', 'password'],
  // Each is required only for its auth mode: parse enforces it.
  requiredSecretFields: [],
  // The password is sent as this user's: a new user needs the password again.
  targetFields: ['username'],
  batch: {
    defaultMaxEvents: 500,
    maxMaxEvents: 10_000,
    defaultMaxBytes: 5 * MIB,
    // Elasticsearch's default http.max_content_length.
    maxMaxBytes: 100 * MIB,
  },
  exampleUrl: 'https://elastic.example.com:9200',
  checkUrl: checkElasticsearchUrl,
  parse(input): ParsedSettings {
    rejectUnknownFields(input, FIELDS);
    const index = requiredString(input, 'index', { max: 255 });
    const indexProblem = indexNameProblem(index);
    if (indexProblem !== null) {
      throw new InvalidInputError('settings.index', indexProblem);
    }
    const auth = requiredString(input, 'auth', { max: 16 });
    if (!(ELASTICSEARCH_AUTH_MODES as readonly string[]).includes(auth)) {
      throw new InvalidInputError('settings.auth', `must be one of ${ELASTICSEARCH_AUTH_MODES.join(', ')}`);
    }
    if (auth === 'api_key') {
      refuseUnused(input, ['username', 'password'], auth);
      const apiKey = secretString(input, 'apiKey', auth);
      if (/^apikey\s/i.test(apiKey)) {
        throw new InvalidInputError('settings.apiKey', 'must be the encoded value alone, without "ApiKey "');
      }
      if (!/^[A-Za-z0-9+/_=-]+$/.test(apiKey)) {
        throw new InvalidInputError('settings.apiKey', 'must be the base64 `encoded` value of the API key');
      }
      const settings: ElasticsearchSettings = { index, auth };
      return { settings: { ...settings }, credentials: { apiKey } };
    }
    refuseUnused(input, ['apiKey'], auth);
    const username = optionalString(input, 'username', { max: 1024 });
    if (username === undefined) {
      throw new InvalidInputError('settings.username', 'is required when auth is basic');
    }
    if (username.includes(':')) {
      throw new InvalidInputError('settings.username', 'must not contain ":" (basic auth cannot carry it)');
    }
    const password = secretString(input, 'password', auth);
    const settings: ElasticsearchSettings = { index, auth: 'basic', username };
    return { settings: { ...settings }, credentials: { password } };
  },
};
