import { InvalidInputError } from '../common/domain.errors';
import { parseApiKeyFile, organizationUrlFromAccount } from './api-key-file';
import { IntegrationFieldsDto } from './dto/integration-fields';
import { readOrganizationUrl } from './organization-url';

export interface ResolvedCredentials {
  organizationUrl: string | undefined;
  account: string | undefined;
  keyId: string | undefined;
  /** undefined: keep the stored secret. */
  secret: string | undefined;
  subAccount: string | null | undefined;
  /** What the user gave for the organization URL when it was stored in another form, else null. */
  organizationUrlGiven: string | null;
}

/**
 * Turns the two accepted shapes (fields, or the console's key file) into one set of credentials. On update, fields
 * left out stay undefined so the stored values are kept.
 */
export function resolveCredentials(
  dto: IntegrationFieldsDto,
  extraAllowedHosts: readonly string[],
): ResolvedCredentials {
  let organizationUrl = dto.organizationUrl;
  let keyId = dto.keyId;
  let secret = dto.secret;
  let subAccount = dto.subAccount;
  if (dto.apiKeyFile !== undefined) {
    if (dto.keyId !== undefined || dto.secret !== undefined) {
      throw new InvalidInputError('apiKeyFile', 'give either apiKeyFile or keyId and secret, not both');
    }
    const file = parseApiKeyFile(dto.apiKeyFile);
    if (!file.ok) {
      throw new InvalidInputError(file.field, file.reason);
    }
    keyId = file.keyId;
    secret = file.secret;
    subAccount = dto.subAccount !== undefined ? dto.subAccount : file.subAccount;
    if (organizationUrl === undefined && file.account !== null) {
      organizationUrl = organizationUrlFromAccount(file.account);
    }
    if (organizationUrl === undefined && file.format === 'forticloud') {
      throw new InvalidInputError(
        'organizationUrl',
        'is required with a FortiCloud credentials file, which names no account',
      );
    }
  }
  let account: string | undefined;
  let organizationUrlGiven: string | null = null;
  if (organizationUrl !== undefined) {
    const normalized = readOrganizationUrl(organizationUrl, extraAllowedHosts);
    if (!normalized.ok) {
      throw new InvalidInputError('organizationUrl', normalized.reason);
    }
    organizationUrlGiven = dto.organizationUrl === undefined ? null : normalized.reducedFrom;
    organizationUrl = normalized.url;
    account = normalized.account;
  }
  return { organizationUrl, account, keyId, secret, subAccount, organizationUrlGiven };
}

/** Shows only the last four characters, and nothing of a secret too short to spare them. */
export function secretHint(secret: string): string {
  return secret.length >= 12 ? secret.slice(-4) : '';
}
