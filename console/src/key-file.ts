import {
  isFortiCloudCredentialsText,
  parseFortiCloudCredentials,
} from '../../src/credentials/forticloud-credentials-file';

/** What the console takes from a Lacework API key file; the secret stays in memory, shown only as its hint. */
export interface KeyFile {
  /** What is sent as `apiKeyFile`: the JSON key file's object, or the FortiCloud credentials file's text. */
  raw: Record<string, unknown> | string;
  keyId: string;
  secretHint: string;
  subAccount: string | null;
  organizationUrl: string | null;
}

/**
 * Parses the JSON key file the Lacework console downloads, or the FortiCloud API credentials text file (`apiId:` and
 * `password:` lines, no account: the organization URL is then typed in); throws an Error naming what is wrong.
 */
export function parseKeyFile(text: string): KeyFile {
  if (isFortiCloudCredentialsText(text)) {
    const lines = parseFortiCloudCredentials(text);
    if (!lines.ok) {
      throw new Error(`The FortiCloud credentials file's ${lines.field || 'content'} ${lines.reason}.`);
    }
    return {
      raw: text,
      keyId: lines.apiId,
      secretHint: hintOf(lines.password),
      subAccount: null,
      organizationUrl: null,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('The file is not JSON: choose the API key file the Lacework console downloaded.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('The file is not a Lacework API key file (expected a JSON object).');
  }
  const raw = value as Record<string, unknown>;
  const keyId = raw.keyId;
  const secret = raw.secret;
  if (typeof keyId !== 'string' || keyId === '') {
    throw new Error('The key file has no keyId.');
  }
  if (typeof secret !== 'string' || secret === '') {
    throw new Error('The key file has no secret.');
  }
  const sub = raw.subAccount ?? raw.subaccount;
  const account = raw.account;
  return {
    raw,
    keyId,
    secretHint: hintOf(secret),
    subAccount: typeof sub === 'string' && sub !== '' ? sub : null,
    organizationUrl: typeof account === 'string' && account !== '' ? organizationUrlOf(account) : null,
  };
}

function hintOf(secret: string): string {
  return secret.length >= 8 ? secret.slice(-4) : '';
}

/** `acme` -> `https://acme.lacework.net`; a host or URL keeps its cluster. */
export function organizationUrlOf(account: string): string {
  const text = account.trim().toLowerCase();
  if (/^https?:\/\//.test(text)) {
    return text.replace(/\/+$/, '');
  }
  return text.includes('.') ? `https://${text}` : `https://${text}.lacework.net`;
}

/** Reads a dropped or chosen file as text (key files are tiny; anything large is not one). */
export async function readKeyFile(file: File): Promise<KeyFile> {
  if (file.size > 64 * 1024) {
    throw new Error('The file is too large to be a Lacework API key file.');
  }
  return parseKeyFile(await file.text());
}
