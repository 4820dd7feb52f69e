import { InvalidInputError } from '../../common/domain.errors';
import {
  checkCredentialedOrigin,
  KindSettingsSpec,
  ParsedSettings,
  rejectUnknownFields,
  requiredString,
} from './kind-settings';

/** Where Entra ID issues tokens unless a sovereign cloud's authority is given. */
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/** The Logs Ingestion API's hard limit on one call's body. */
export const SENTINEL_MAX_CALL_BYTES = 1_000_000;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const DCR_IMMUTABLE_ID = /^dcr-[0-9a-f]{32}$/i;
const STREAM_NAME = /^(Custom|Microsoft)-[A-Za-z0-9_-]+$/;

const KNOWN_FIELDS = [
  'tenantId',
  'clientId',
  'clientSecret',
  'dcrImmutableId',
  'streamName',
  'authorityHost',
] as const;

/** Microsoft Sentinel through the Azure Monitor Logs Ingestion API: a data collection endpoint, rule and stream. */
export const SENTINEL_SETTINGS: KindSettingsSpec = {
  kind: 'sentinel',
  secretFields: ['clientSecret'],
  requiredSecretFields: ['clientSecret'],
  targetFields: ['tenantId', 'clientId', 'authorityHost'],
  batch: {
    defaultMaxEvents: 500,
    maxMaxEvents: 10_000,
    defaultMaxBytes: SENTINEL_MAX_CALL_BYTES,
    maxMaxBytes: SENTINEL_MAX_CALL_BYTES,
  },
  exampleUrl: 'https://my-dce-a1b2.eastus-1.ingest.monitor.azure.com',

  checkUrl(url: string): string {
    return checkCredentialedOrigin(url, 'url');
  },

  parse(input: Record<string, unknown>): ParsedSettings {
    rejectUnknownFields(input, KNOWN_FIELDS);
    const tenantId = requiredString(input, 'tenantId', { max: 253 });
    if (!GUID.test(tenantId) && !DOMAIN_NAME.test(tenantId)) {
      throw new InvalidInputError(
        'settings.tenantId',
        'must be the directory (tenant) ID, a GUID, or its domain name (e.g. contoso.onmicrosoft.com)',
      );
    }
    const clientId = requiredString(input, 'clientId', {
      pattern: GUID,
      patternText: "must be the app registration's application (client) ID, a GUID",
    });
    const clientSecret = requiredString(input, 'clientSecret', { max: 1024 });
    const dcrImmutableId = requiredString(input, 'dcrImmutableId', {
      pattern: DCR_IMMUTABLE_ID,
      patternText: "must be the data collection rule's immutable ID: dcr- followed by 32 hex digits",
    }).toLowerCase();
    const streamName = requiredString(input, 'streamName', {
      max: 256,
      pattern: STREAM_NAME,
      patternText:
        'must be Custom-<name> or Microsoft-<name> (letters, digits, _ and -), e.g. Custom-LaceworkAlerts_CL',
    });
    const authorityInput = input.authorityHost ?? DEFAULT_AUTHORITY_HOST;
    if (typeof authorityInput !== 'string') {
      throw new InvalidInputError('settings.authorityHost', 'must be a string');
    }
    const authorityHost = checkCredentialedOrigin(authorityInput, 'settings.authorityHost');
    return {
      settings: {
        tenantId: tenantId.toLowerCase(),
        clientId: clientId.toLowerCase(),
        dcrImmutableId,
        streamName,
        authorityHost,
      },
      credentials: { clientSecret },
    };
  },
};
