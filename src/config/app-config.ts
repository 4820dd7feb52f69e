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
  writebackToken: string | null;
  authFailuresPerMinute: number;
  secretsKey: Buffer;
  secretsKeyPrevious: Buffer | null;
  logLevel: LogLevel;
  laceworkExtraAllowedHosts: string[];
  laceworkTimeoutMs: number;
  laceworkRetryBaseMs: number;
  laceworkMaxAttempts: number;
  laceworkBudgetWindowMs: number;
  laceworkBudgetSlices: number;
  schedulerEnabled: boolean;
  pollingEnabled: boolean;
  schedulerTickMs: number;
  workerId: string;
  enrichmentConcurrency: number;
  scopeMaxAttempts: number;
  scopeRetryBaseMs: number;
  changeRelistMinutes: number;
  windowOverlapMinutes: number;
  deliveryTimeoutMs: number;
  deliveryRetryScale: number;
  deliveryConcurrency: number;
  circuitProbeAfterMs: number;
  circuitWindowMs: number;
  circuitMinRequests: number;
  leaseSeconds: number;
  /** At most one poll triggered by Lacework webhook hints per integration in this many seconds. */
  hintCoalesceSeconds: number;
  /** Base URL the service is reached at from outside (for the channel URL to paste into Lacework); null: from the request. */
  publicUrl: string | null;
  /** Serve HTTPS on PORT with this certificate chain and key (PEM); null: plain HTTP (behind a TLS proxy). */
  tls: { cert: Buffer; key: Buffer } | null;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
