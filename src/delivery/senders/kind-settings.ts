import { InvalidInputError } from '../../common/domain.errors';
import { classifyAddress, parseIpLiteral } from '../../common/net/ip-policy';
import { hasControlCharacter } from '../../common/text';
import { validateDestinationUrl } from '../destination-url';
import type { DestinationKind } from './destination-sender';

/** A kind's settings split into what may be shown and what is sealed and never returned. */
export interface ParsedSettings {
  settings: Record<string, unknown>;
  credentials: Record<string, string>;
}

/** Batch sizes a kind allows: the defaults, and the largest an operator may set. */
export interface BatchBounds {
  defaultMaxEvents: number;
  maxMaxEvents: number;
  defaultMaxBytes: number;
  maxMaxBytes: number;
}

/** What one destination kind accepts as configuration. */
export interface KindSettingsSpec {
  kind: DestinationKind;
  /** Fields of `settings` that are write-only: sealed at rest, never in a response, a log line or an error. */
  secretFields: readonly string[];
  /** Fields of `settings` that are required secrets (the rest of `secretFields` are optional). */
  requiredSecretFields: readonly string[];
  /** Fields (besides the url) that decide where the secrets are sent: changing one requires the secrets again. */
  targetFields: readonly string[];
  batch: BatchBounds;
  /** An example for the README and the console's placeholder. */
  exampleUrl: string;
  /** Checks and normalises the url. @throws InvalidInputError naming `url` */
  checkUrl(url: string): string;
  /**
   * Validates the whole settings object (secrets included; unknown fields refused) and splits it.
   * @throws InvalidInputError naming `settings.<field>`
   */
  parse(input: Record<string, unknown>): ParsedSettings;
}

/** Checks an http(s) URL against the destination URL policy. */
export function checkHttpUrl(url: string, httpsOnly = false): string {
  const verdict = validateDestinationUrl(url);
  if (!verdict.ok) {
    throw new InvalidInputError('url', verdict.reason);
  }
  if (httpsOnly && !verdict.url.startsWith('https://')) {
    throw new InvalidInputError('url', 'must use https');
  }
  return verdict.url;
}

/** Refuses fields a kind does not know, naming the first. */
export function rejectUnknownFields(input: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(input).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw new InvalidInputError(
      `settings.${unknown}`,
      `is not a setting of this kind (known: ${known.join(', ')})`,
    );
  }
}

export interface StringRule {
  max?: number;
  min?: number;
  pattern?: RegExp;
  patternText?: string;
}

/** A string setting, or undefined when absent; refuses other types, control characters and bad lengths. */
export function optionalString(
  input: Record<string, unknown>,
  field: string,
  rule: StringRule = {},
): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string') {
    throw new InvalidInputError(`settings.${field}`, 'must be a string');
  }
  if (value.length < (rule.min ?? 1)) {
    throw new InvalidInputError(`settings.${field}`, 'must not be empty');
  }
  if (value.length > (rule.max ?? 1024)) {
    throw new InvalidInputError(`settings.${field}`, `must be at most ${rule.max ?? 1024} characters`);
  }
  if (hasControlCharacter(value)) {
    throw new InvalidInputError(`settings.${field}`, 'must not contain control characters');
  }
  if (rule.pattern !== undefined && !rule.pattern.test(value)) {
    throw new InvalidInputError(`settings.${field}`, rule.patternText ?? 'has the wrong form');
  }
  return value;
}

/** A required string setting. */
export function requiredString(input: Record<string, unknown>, field: string, rule: StringRule = {}): string {
  const value = optionalString(input, field, rule);
  if (value === undefined) {
    throw new InvalidInputError(`settings.${field}`, 'is required');
  }
  return value;
}

export function optionalBoolean(input: Record<string, unknown>, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'boolean') {
    throw new InvalidInputError(`settings.${field}`, 'must be true or false');
  }
  return value;
}

export function optionalInteger(
  input: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`settings.${field}`, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** A PEM block (certificate or key) of the given label(s), or undefined. */
export function optionalPem(
  input: Record<string, unknown>,
  field: string,
  labels: readonly string[],
): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string' || value.length > 64 * 1024) {
    throw new InvalidInputError(`settings.${field}`, 'must be PEM text of at most 64 KiB');
  }
  const found = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/.exec(value);
  if (found === null || !labels.includes(found[1])) {
    throw new InvalidInputError(
      `settings.${field}`,
      `must be PEM (${labels.map((l) => `BEGIN ${l}`).join(' or ')})`,
    );
  }
  return value;
}

function isLoopbackHost(hostname: string): boolean {
  if (hostname === 'localhost') {
    return true;
  }
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return parseIpLiteral(bare) !== null && classifyAddress(bare) === 'loopback';
}

/**
 * Checks an endpoint that receives credentials: https, or plain http only to a loopback host (a local relay or a
 * test double), with no path, query or fragment. Returns its origin.
 * @throws InvalidInputError naming `field`
 */
export function checkCredentialedOrigin(input: string, field: string): string {
  const verdict = validateDestinationUrl(input);
  if (!verdict.ok) {
    throw new InvalidInputError(field, verdict.reason);
  }
  const url = new URL(verdict.url);
  if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname)) {
    throw new InvalidInputError(field, 'must use https (plain http only to a loopback host)');
  }
  if (url.pathname !== '/' || url.search !== '') {
    throw new InvalidInputError(
      field,
      `must be an origin only, without a path or query (e.g. ${url.origin})`,
    );
  }
  return url.origin;
}

/** True when plain http to this URL's host is acceptable (loopback only). */
export function isHttpsOrLoopback(input: string): boolean {
  const url = new URL(input);
  return url.protocol === 'https:' || isLoopbackHost(url.hostname);
}
