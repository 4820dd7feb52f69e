import { createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { hostname } from 'node:os';
import ipaddr from 'ipaddr.js';
import { AppConfig, LogLevel, TrustProxy } from './app-config';

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const PROXY_NETWORK_NAMES = ['loopback', 'linklocal', 'uniquelocal'];
const MIN_TOKEN_LENGTH = 32;

/** Raised when the environment holds bad values; `problems` has one line per variable. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) {
      return fallback;
    }
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name}: must be a whole number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return Number(value);
  }

  float(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) {
      return fallback;
    }
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${name}: must be a number from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) {
      return fallback;
    }
    if (['true', '1', 'yes'].includes(value)) {
      return true;
    }
    if (['false', '0', 'no'].includes(value)) {
      return false;
    }
    this.problems.push(`${name}: must be true or false (got "${value}")`);
    return fallback;
  }

  key(name: string): Buffer | null {
    const value = this.raw(name);
    if (value === undefined) {
      return null;
    }
    const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : Buffer.alloc(0);
    if (bytes.length !== 32) {
      this.problems.push(`${name}: must be the base64 encoding of exactly 32 random bytes`);
      return null;
    }
    return bytes;
  }

  /** false, a number of proxy hops, or the proxies' addresses / CIDR ranges / network names. */
  trustProxy(name: string): TrustProxy {
    const value = this.raw(name);
    if (value === undefined || ['false', '0', 'no'].includes(value.toLowerCase())) {
      return false;
    }
    if (/^\d+$/.test(value)) {
      return this.int(name, 1, 1, 10);
    }
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    const bad = entries.filter(
      (e) => !PROXY_NETWORK_NAMES.includes(e) && !ipaddr.isValid(e) && !ipaddr.isValidCIDR(e),
    );
    if (['true', 'yes'].includes(value.toLowerCase()) || bad.length > 0 || entries.length === 0) {
      this.problems.push(
        `${name}: must be false, the number of proxies in front (1 to 10), or their addresses, CIDR ranges or ` +
          `${PROXY_NETWORK_NAMES.join('/')} (got "${value}"; true would believe any client's X-Forwarded-For)`,
      );
      return false;
    }
    return entries;
  }

  token(name: string, minLength: number): string | null {
    const value = this.raw(name);
    if (value === undefined) {
      return null;
    }
    if (value.length < minLength || !/^[\x21-\x7e]+$/.test(value)) {
      this.problems.push(`${name}: must be at least ${minLength} printable characters without spaces`);
      return null;
    }
    return value;
  }
}

/** DATABASE_URL with DATABASE_PASSWORD put in, percent-encoded, so any character may appear in the password. */
export function withPassword(databaseUrl: string, password: string, problems: string[]): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    problems.push('DATABASE_URL: not a valid URL');
    return databaseUrl;
  }
  if (url.password !== '') {
    problems.push('DATABASE_PASSWORD: DATABASE_URL already holds a password; give it in one place');
    return databaseUrl;
  }
  if (url.username === '') {
    problems.push('DATABASE_URL: needs a user name when DATABASE_PASSWORD is set');
    return databaseUrl;
  }
  // The setter leaves '%' alone, so encode first: pg decodes the password once.
  url.password = encodeURIComponent(password);
  return url.toString();
}

function publicUrlOf(r: EnvReader): string | null {
  const value = r.raw('PUBLIC_URL');
  if (value === undefined) {
    return null;
  }
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (
    url === null ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    r.problems.push(
      'PUBLIC_URL: must be an http(s) URL without query or fragment, e.g. https://connector.example.com',
    );
    return null;
  }
  return value.replace(/\/+$/, '');
}

/** Both files or neither; each must be readable PEM (a certificate chain and its private key). */
function tlsOf(r: EnvReader): { cert: Buffer; key: Buffer } | null {
  const certFile = r.raw('TLS_CERT_FILE');
  const keyFile = r.raw('TLS_KEY_FILE');
  if (certFile === undefined && keyFile === undefined) {
    return null;
  }
  if (certFile === undefined || keyFile === undefined) {
    r.problems.push(
      `${certFile === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE'}: required with ${certFile === undefined ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'} (set both or neither)`,
    );
    return null;
  }
  const read = (name: string, path: string): Buffer | null => {
    try {
      return readFileSync(path);
    } catch (error) {
      r.problems.push(`${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      return null;
    }
  };
  const cert = read('TLS_CERT_FILE', certFile);
  const key = read('TLS_KEY_FILE', keyFile);
  if (cert === null || key === null) {
    return null;
  }
  try {
    new X509Certificate(cert);
  } catch {
    r.problems.push(`TLS_CERT_FILE: ${certFile} is not a PEM certificate`);
    return null;
  }
  try {
    createPrivateKey(key);
  } catch {
    r.problems.push(`TLS_KEY_FILE: ${keyFile} is not an unencrypted PEM private key`);
    return null;
  }
  try {
    createSecureContext({ cert, key });
  } catch {
    r.problems.push('TLS_KEY_FILE: the key does not match the certificate in TLS_CERT_FILE');
    return null;
  }
  return { cert, key };
}

/** Secrets generated for embedded mode when the environment gives none. */
export interface GeneratedSecrets {
  adminApiToken: string;
  secretsKey: string;
}

/**
 * Validates the environment once at start-up. With DATABASE_URL set, ADMIN_API_TOKEN and SECRETS_KEY are required;
 * without it (embedded mode) `generated` supplies the missing ones.
 */
export function validateEnv(env: Env, generated?: GeneratedSecrets): AppConfig {
  const r = new EnvReader(env);
  let databaseUrl = r.raw('DATABASE_URL') ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\/[^\s]+$/.test(databaseUrl)) {
    r.problems.push('DATABASE_URL: must be a postgres:// or postgresql:// connection URL');
  }
  // Not trimmed: a password may begin or end with spaces.
  const databasePassword = env.DATABASE_PASSWORD ?? '';
  if (databasePassword !== '') {
    if (databaseUrl === null) {
      r.problems.push('DATABASE_PASSWORD: only used with DATABASE_URL');
    } else if (r.problems.length === 0) {
      databaseUrl = withPassword(databaseUrl, databasePassword, r.problems);
    }
  }
  let adminApiToken = r.token('ADMIN_API_TOKEN', MIN_TOKEN_LENGTH);
  let secretsKey = r.key('SECRETS_KEY');
  if (databaseUrl !== null || generated === undefined) {
    if (adminApiToken === null && r.raw('ADMIN_API_TOKEN') === undefined) {
      r.problems.push('ADMIN_API_TOKEN: required when DATABASE_URL is set (at least 32 characters)');
    }
    if (secretsKey === null && r.raw('SECRETS_KEY') === undefined) {
      r.problems.push('SECRETS_KEY: required when DATABASE_URL is set (base64 of 32 random bytes)');
    }
  } else {
    adminApiToken ??= r.raw('ADMIN_API_TOKEN') === undefined ? generated.adminApiToken : null;
    secretsKey ??= r.raw('SECRETS_KEY') === undefined ? Buffer.from(generated.secretsKey, 'base64') : null;
  }
  const viewerApiToken = r.token('VIEWER_API_TOKEN', MIN_TOKEN_LENGTH);
  if (viewerApiToken !== null && viewerApiToken === adminApiToken) {
    r.problems.push('VIEWER_API_TOKEN: must differ from ADMIN_API_TOKEN');
  }
  const metricsToken = r.token('METRICS_TOKEN', 16);
  if (metricsToken !== null && (metricsToken === adminApiToken || metricsToken === viewerApiToken)) {
    // One token for two roles would be read as the stronger one, handing metrics scrapers the API.
    r.problems.push('METRICS_TOKEN: must differ from ADMIN_API_TOKEN and VIEWER_API_TOKEN');
  }
  const writebackToken = r.token('WRITEBACK_TOKEN', 32);
  if (writebackToken !== null) {
    const others = {
      ADMIN_API_TOKEN: adminApiToken,
      VIEWER_API_TOKEN: viewerApiToken,
      METRICS_TOKEN: metricsToken,
    };
    for (const [name, value] of Object.entries(others)) {
      if (value === writebackToken) {
        r.problems.push(`WRITEBACK_TOKEN: must differ from ${name}`);
      }
    }
  }
  const logLevel = (r.raw('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    r.problems.push(`LOG_LEVEL: must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const extraHosts = (r.raw('LACEWORK_EXTRA_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  for (const host of extraHosts) {
    if (!/^[a-z0-9.\-[\]:]+$/.test(host)) {
      r.problems.push(`LACEWORK_EXTRA_ALLOWED_HOSTS: "${host}" is not a hostname or host:port`);
    }
  }

  const deliveryConcurrency = r.int('DELIVERY_CONCURRENCY', 8, 1, 128);
  const config: AppConfig = {
    port: r.int('PORT', 3000, 0, 65535),
    host: r.raw('HOST') ?? '0.0.0.0',
    databaseUrl,
    dataDir: r.raw('DATA_DIR') ?? './data',
    adminApiToken: adminApiToken ?? '',
    viewerApiToken,
    metricsToken,
    trustProxy: r.trustProxy('TRUST_PROXY'),
    writebackToken,
    authFailuresPerMinute: r.int('AUTH_FAILURES_PER_MINUTE', 20, 1, 1_000_000),
    secretsKey: secretsKey ?? Buffer.alloc(0),
    secretsKeyPrevious: r.key('SECRETS_KEY_PREVIOUS'),
    logLevel: logLevel as LogLevel,
    laceworkExtraAllowedHosts: extraHosts,
    laceworkTimeoutMs: r.int('LACEWORK_TIMEOUT_MS', 60_000, 100, 600_000),
    laceworkRetryBaseMs: r.int('LACEWORK_RETRY_BASE_MS', 1_000, 1, 60_000),
    laceworkMaxAttempts: r.int('LACEWORK_MAX_ATTEMPTS', 4, 1, 10),
    laceworkMaxPages: r.int('LACEWORK_MAX_PAGES', 1_000, 1, 1_000_000),
    laceworkBudgetWindowMs: r.int('LACEWORK_BUDGET_WINDOW_MS', 3_600_000, 1_000, 86_400_000),
    laceworkBudgetBurst: r.int('LACEWORK_BUDGET_BURST', 4, 1, 50),
    schedulerEnabled: r.bool('SCHEDULER_ENABLED', true),
    pollingEnabled: r.bool('POLLING_ENABLED', true),
    schedulerTickMs: r.int('SCHEDULER_TICK_MS', 5_000, 50, 600_000),
    workerId: r.raw('WORKER_ID') ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    enrichmentConcurrency: r.int('ENRICHMENT_CONCURRENCY', 4, 1, 64),
    enrichmentMaxInFlight: r.int('ENRICHMENT_MAX_IN_FLIGHT', 32, 1, 4096),
    enrichmentMaxAnswerBytesInFlight: r.int(
      'ENRICHMENT_MAX_ANSWER_BYTES_IN_FLIGHT',
      268_435_456,
      1_048_576,
      68_719_476_736,
    ),
    enrichmentMaxAttempts: r.int('ENRICHMENT_MAX_ATTEMPTS', 5, 1, 100),
    scopeMaxAttempts: r.int('SCOPE_MAX_ATTEMPTS', 5, 1, 20),
    scopeRetryBaseMs: r.int('SCOPE_RETRY_BASE_MS', 60_000, 10, 3_600_000),
    changeRelistMinutes: r.float('CHANGE_RELIST_MINUTES', 60, 0.01, 1440),
    windowOverlapMinutes: r.int('WINDOW_OVERLAP_MINUTES', 180, 0, 1440),
    deliveryTimeoutMs: r.int('DELIVERY_TIMEOUT_MS', 15_000, 100, 120_000),
    deliveryRetryScale: r.float('DELIVERY_RETRY_SCALE', 1, 0.00001, 10),
    deliveryConcurrency,
    // Half the slots by default, so one slow destination always leaves the other half to the rest.
    deliveryConcurrencyPerDestination: r.int(
      'DELIVERY_CONCURRENCY_PER_DESTINATION',
      Math.ceil(deliveryConcurrency / 2),
      1,
      128,
    ),
    circuitProbeAfterMs: r.int('CIRCUIT_PROBE_AFTER_MS', 60_000, 10, 3_600_000),
    circuitWindowMs: r.int('CIRCUIT_WINDOW_MS', 300_000, 100, 3_600_000),
    circuitMinRequests: r.int('CIRCUIT_MIN_REQUESTS', 10, 1, 10_000),
    leaseSeconds: r.int('LEASE_SECONDS', 120, 1, 3600),
    retentionLaceworkCallsDays: r.int('RETENTION_LACEWORK_CALLS_DAYS', 30, 0, 3650),
    retentionDeliveryAttemptsDays: r.int('RETENTION_DELIVERY_ATTEMPTS_DAYS', 90, 0, 3650),
    retentionSyncRunsDays: r.int('RETENTION_SYNC_RUNS_DAYS', 90, 0, 3650),
    hintCoalesceSeconds: r.float('HINT_COALESCE_SECONDS', 60, 0.01, 86_400),
    publicUrl: publicUrlOf(r),
    tls: tlsOf(r),
  };
  if (r.problems.length > 0) {
    throw new ConfigValidationError(r.problems);
  }
  return config;
}
