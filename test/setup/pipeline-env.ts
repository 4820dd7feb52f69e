/** App settings for tests that run the whole pipeline against fakes: manual syncs, fast retries, short leases. */
export const PIPELINE_APP_ENV: Record<string, string> = {
  SCHEDULER_ENABLED: 'true',
  POLLING_ENABLED: 'false',
  SCHEDULER_TICK_MS: '50',
  LACEWORK_RETRY_BASE_MS: '5',
  DELIVERY_RETRY_SCALE: '0.0001',
  CIRCUIT_PROBE_AFTER_MS: '300',
  LEASE_SECONDS: '5',
  // requestsPerHour counts per 10 s: the budget paces as in production, 360 times faster.
  LACEWORK_BUDGET_WINDOW_MS: '10000',
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
};
