/** Express's `trust proxy`: off, a number of hops, or the proxies' addresses, ranges or network names. */
export type TrustProxy = false | number | string[];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The validated configuration of one process. Built once at start-up from the environment. */
export interface AppConfig {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  adminApiToken: string;
  viewerApiToken: string | null;
  metricsToken: string | null;
  trustProxy: TrustProxy;
  writebackToken: string | null;
  authFailuresPerMinute: number;
  secretsKey: Buffer;
  secretsKeyPrevious: Buffer | null;
  logLevel: LogLevel;
  laceworkExtraAllowedHosts: string[];
  laceworkTimeoutMs: number;
  laceworkRetryBaseMs: number;
  laceworkMaxAttempts: number;
  /** Pages one alert listing may follow before the run fails. */
  laceworkMaxPages: number;
  laceworkBudgetWindowMs: number;
  laceworkBudgetBurst: number;
  schedulerEnabled: boolean;
  pollingEnabled: boolean;
  schedulerTickMs: number;
  workerId: string;
  enrichmentConcurrency: number;
  /** Alert versions enriched at once in this process, all integrations together. */
  enrichmentMaxInFlight: number;
  /** Bytes of Lacework scope answers this process holds at once before new scope calls wait. */
  enrichmentMaxAnswerBytesInFlight: number;
  /** Attempts of a version that fail outside its scopes (assembly, storing) before it is marked failed. */
  enrichmentMaxAttempts: number;
  scopeMaxAttempts: number;
  scopeRetryBaseMs: number;
  changeRelistMinutes: number;
  windowOverlapMinutes: number;
  deliveryTimeoutMs: number;
  deliveryRetryScale: number;
  deliveryConcurrency: number;
  /** Most of this process's delivery slots one destination may hold at once. */
  deliveryConcurrencyPerDestination: number;
  circuitProbeAfterMs: number;
  circuitWindowMs: number;
  circuitMinRequests: number;
  leaseSeconds: number;
  /** Days `lacework_calls`, `delivery_attempts` and finished `sync_runs` are kept; 0 keeps them for ever. */
  retentionLaceworkCallsDays: number;
  retentionDeliveryAttemptsDays: number;
  retentionSyncRunsDays: number;
  /** At most one poll triggered by Lacework webhook hints per integration in this many seconds. */
  hintCoalesceSeconds: number;
  /** Base URL the service is reached at from outside (for the channel URL to paste into Lacework); null: from the request. */
  publicUrl: string | null;
  /** Serve HTTPS on PORT with this certificate chain and key (PEM); null: plain HTTP (behind a TLS proxy). */
  tls: { cert: Buffer; key: Buffer } | null;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
