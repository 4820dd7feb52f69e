import { isFortiCloudCredentialsText, parseFortiCloudCredentials } from './forticloud-credentials-file';
import { normalizeOrganizationUrl } from './organization-url';

/** The parts of a Lacework API key file we use, or the field that is wrong and why. */
export type ApiKeyFileResult =
  | {
      ok: true;
      keyId: string;
      secret: string;
      subAccount: string | null;
      account: string | null;
      format: ApiKeyFileFormat;
    }
  | { ok: false; field: string; reason: string };

/** `json`: the Lacework console's key file; `forticloud`: the FortiCloud portal's `apiId:`/`password:` text file. */
export type ApiKeyFileFormat = 'json' | 'forticloud';

type Failure = Extract<ApiKeyFileResult, { ok: false }>;

const FIELD_PREFIX = 'apiKeyFile';
const MAX_KEY_ID_LENGTH = 128;
const MAX_SECRET_LENGTH = 256;
const MAX_SUB_ACCOUNT_LENGTH = 128;
const MAX_FILE_TEXT_LENGTH = 64 * 1024;
// Both values travel in HTTP headers or bodies; anything outside printable ASCII would be refused or could split them.
const PRINTABLE_NO_SPACE = /^[\x21-\x7e]+$/;
const ACCOUNT_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function fail(field: string, reason: string): Failure {
  return { ok: false, field: field === '' ? FIELD_PREFIX : `${FIELD_PREFIX}.${field}`, reason };
}

function isFailure(value: object): value is Failure {
  return 'ok' in value;
}

function readRequired(
  file: Record<string, unknown>,
  field: string,
  maxLength: number,
): { value: string } | Failure {
  const value = file[field];
  if (value === undefined || value === null) {
    return fail(field, 'is required');
  }
  if (typeof value !== 'string') {
    return fail(field, 'must be a string');
  }
  if (value === '') {
    return fail(field, 'must not be empty');
  }
  if (value.length > maxLength) {
    return fail(field, `must be at most ${maxLength} characters`);
  }
  if (!PRINTABLE_NO_SPACE.test(value)) {
    return fail(field, 'must be printable ASCII without spaces');
  }
  return { value };
}

// Absent, null and empty all mean "not given": console files differ in how they leave an optional field out.
function readOptional(file: Record<string, unknown>, field: string): { value: string | null } | Failure {
  const value = file[field];
  if (value === undefined || value === null || value === '') {
    return { value: null };
  }
  if (typeof value !== 'string') {
    return fail(field, 'must be a string');
  }
  return { value };
}

function readSubAccount(file: Record<string, unknown>): { value: string | null } | Failure {
  const camel = readOptional(file, 'subAccount');
  if (isFailure(camel)) {
    return camel;
  }
  const lower = readOptional(file, 'subaccount');
  if (isFailure(lower)) {
    return lower;
  }
  if (camel.value !== null && lower.value !== null && camel.value !== lower.value) {
    return fail('subAccount', 'disagrees with subaccount');
  }
  const field = camel.value !== null ? 'subAccount' : 'subaccount';
  const value = camel.value ?? lower.value;
  if (value === null) {
    return { value: null };
  }
  if (value.length > MAX_SUB_ACCOUNT_LENGTH) {
    return fail(field, `must be at most ${MAX_SUB_ACCOUNT_LENGTH} characters`);
  }
  if (!PRINTABLE_NO_SPACE.test(value)) {
    return fail(field, 'must be printable ASCII without spaces');
  }
  return { value };
}

/**
 * Reads `acme` as `acme`, and a host or URL (`acme.lacework.net`, `acme.fra.lacework.net`, `https://acme.lacework.net/`)
 * as its host, so that a regional cluster is kept.
 */
function accountName(text: string): string | null {
  const lower = text.toLowerCase();
  if (ACCOUNT_LABEL.test(lower)) {
    return lower;
  }
  const url = /^https:\/\//i.test(text) ? text : `https://${text}`;
  const normalized = normalizeOrganizationUrl(url, []);
  return normalized.ok ? normalized.host : null;
}

function readAccount(file: Record<string, unknown>): { value: string | null } | Failure {
  const account = readOptional(file, 'account');
  if (isFailure(account) || account.value === null) {
    return account;
  }
  const name = account.value.length > 2048 ? null : accountName(account.value);
  return name === null
    ? fail('account', 'must be an account name or <account>.lacework.net')
    : { value: name };
}

function asObject(file: unknown): Record<string, unknown> | Failure {
  let value = file;
  if (typeof value === 'string') {
    if (value.length > MAX_FILE_TEXT_LENGTH) {
      return fail('', 'is too large');
    }
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return fail('', 'is not valid JSON');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('', 'must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/**
 * Reads an API key file, given parsed or as text: the FortiCloud credentials text (`apiId:`/`password:` lines, see
 * `parseFortiCloudCredentials`), or the JSON key file the Lacework console downloads:
 * `{"keyId", "secret", "subAccount"? (or "subaccount"), "account"?}`. Unknown keys are ignored.
 * `account` comes back as the bare account name, or as the host when the file holds a host or URL (a regional
 * cluster such as `acme.fra.lacework.net` is kept).
 * Failures name the field as `apiKeyFile.<field>` and never repeat the secret.
 */
export function parseApiKeyFile(file: unknown): ApiKeyFileResult {
  if (typeof file === 'string' && file.length <= MAX_FILE_TEXT_LENGTH && isFortiCloudCredentialsText(file)) {
    return parseFortiCloudFile(file);
  }
  const object = asObject(file);
  if (isFailure(object)) {
    return object;
  }
  const keyId = readRequired(object, 'keyId', MAX_KEY_ID_LENGTH);
  if (isFailure(keyId)) {
    return keyId;
  }
  const secret = readRequired(object, 'secret', MAX_SECRET_LENGTH);
  if (isFailure(secret)) {
    return secret;
  }
  const subAccount = readSubAccount(object);
  if (isFailure(subAccount)) {
    return subAccount;
  }
  const account = readAccount(object);
  if (isFailure(account)) {
    return account;
  }
  return {
    ok: true,
    keyId: keyId.value,
    secret: secret.value,
    subAccount: subAccount.value,
    account: account.value,
    format: 'json',
  };
}

/** The FortiCloud text file: key ID and secret only; the account and sub-account come from the request's fields. */
function parseFortiCloudFile(text: string): ApiKeyFileResult {
  const lines = parseFortiCloudCredentials(text);
  if (!lines.ok) {
    return fail(lines.field, lines.reason);
  }
  const keyId = readRequired({ apiId: lines.apiId }, 'apiId', MAX_KEY_ID_LENGTH);
  if (isFailure(keyId)) {
    return keyId;
  }
  const secret = readRequired({ password: lines.password }, 'password', MAX_SECRET_LENGTH);
  if (isFailure(secret)) {
    return secret;
  }
  return {
    ok: true,
    keyId: keyId.value,
    secret: secret.value,
    subAccount: null,
    account: null,
    format: 'forticloud',
  };
}

/**
 * The organization URL of an account: `acme` -> `https://acme.lacework.net`; a host already ending in
 * `.lacework.net` (or such a URL) keeps its cluster: `acme.fra.lacework.net` -> `https://acme.fra.lacework.net`.
 * @throws Error when `account` is neither an account name nor a Lacework host.
 */
export function organizationUrlFromAccount(account: string): string {
  const text = typeof account === 'string' ? account.trim().toLowerCase() : '';
  if (text === '') {
    throw new Error('not a Lacework account name or host: is required');
  }
  let url: string;
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(text)) {
    url = text;
  } else if (text.includes('.')) {
    url = `https://${text}`;
  } else {
    url = `https://${text}.lacework.net`;
  }
  const normalized = normalizeOrganizationUrl(url, []);
  if (!normalized.ok) {
    throw new Error(`not a Lacework account name or host: ${normalized.reason}`);
  }
  return normalized.url;
}
