import { InvalidInputError } from '../../common/domain.errors';
import { validateDestinationUrl } from '../destination-url';
import {
  isHttpsOrLoopback,
  KindSettingsSpec,
  ParsedSettings,
  rejectUnknownFields,
  requiredString,
} from './kind-settings';

/** importPushLogs's hard limit on one request's body. */
export const SECOPS_MAX_REQUEST_BYTES = 4_000_000;

const IMPORT_PUSH_LOGS = /(:|%3A)importPushLogs$/i;
const QUERY_CREDENTIALS = ['key', 'secret'];

/** Google SecOps (Chronicle) webhook feed: newline-separated events POSTed to the feed's importPushLogs URL. */
export const SECOPS_SETTINGS: KindSettingsSpec = {
  kind: 'secops',
  secretFields: ['apiKey', 'secret'],
  requiredSecretFields: ['apiKey', 'secret'],
  targetFields: [],
  batch: {
    defaultMaxEvents: 500,
    maxMaxEvents: 10_000,
    defaultMaxBytes: SECOPS_MAX_REQUEST_BYTES,
    maxMaxBytes: SECOPS_MAX_REQUEST_BYTES,
  },
  exampleUrl:
    'https://us-chronicle.googleapis.com/v1alpha/projects/123456789012/locations/us/instances/' +
    '0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f/feeds/1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d:importPushLogs',

  checkUrl(input: string): string {
    const verdict = validateDestinationUrl(input);
    if (!verdict.ok) {
      throw new InvalidInputError('url', verdict.reason);
    }
    const url = new URL(verdict.url);
    if (!isHttpsOrLoopback(verdict.url)) {
      throw new InvalidInputError('url', 'must use https (plain http only to a loopback host)');
    }
    const carried = QUERY_CREDENTIALS.filter((name) =>
      [...url.searchParams.keys()].some((key) => key.toLowerCase() === name),
    );
    if (carried.length > 0) {
      throw new InvalidInputError(
        'url',
        `must not carry ${carried.map((name) => `${name}=`).join(' or ')} in the query: ` +
          'give the API key as settings.apiKey and the feed secret as settings.secret',
      );
    }
    if (!IMPORT_PUSH_LOGS.test(url.pathname)) {
      throw new InvalidInputError(
        'url',
        "must be the feed's endpoint URL, ending in :importPushLogs (copy it from the feed's details)",
      );
    }
    return verdict.url;
  },

  parse(input: Record<string, unknown>): ParsedSettings {
    rejectUnknownFields(input, ['apiKey', 'secret']);
    const apiKey = requiredString(input, 'apiKey', { max: 1024 });
    const secret = requiredString(input, 'secret', { max: 1024 });
    return { settings: {}, credentials: { apiKey, secret } };
  },
};
