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
}

export const APP_CONFIG = Symbol('APP_CONFIG');
