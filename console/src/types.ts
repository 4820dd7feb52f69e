/** The API's answers, as the console reads them (see /api/docs for the full schemas). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type Health = 'ok' | 'degraded' | 'failing' | 'paused' | 'never_synced';

export interface RunError {
  class: string;
  message: string;
}

export interface IntegrationStatus {
  id: string;
  name: string;
  enabled: boolean;
  health: Health;
  healthReason: string | null;
  advice: string | null;
  lastRun: {
    id: string;
    trigger: string;
    status: string;
    startedAt: string;
    finishedAt: string | null;
    error: RunError | null;
  } | null;
  lastSuccessAt: string | null;
  cursor: string | null;
  lagSeconds: number | null;
  backlog: { enrichmentPending: number; incomplete: number; deliveryPending: number; deliveryDead: number };
  alertsLast24h: Record<string, number>;
  budget: {
    requestsPerHour: number;
    usedLastHour: number;
    rateLimitedLastHour: number;
    projectedBacklogDrainMinutes: number | null;
  };
}

export interface DestinationStatus {
  id: string;
  name: string;
  state: 'ok' | 'failing' | 'paused';
  reason: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  successRate24h: number | null;
  attempts24h: number;
  oldestUndeliveredAt: string | null;
  dead: number;
}

export interface Status {
  generatedAt: string;
  totals: {
    integrations: number;
    destinations: number;
    destinationsNotOk: number;
    enrichmentPending: number;
    deliveryPending: number;
    deliveryDead: number;
    requestsLastHour: number;
    health: Record<Health, number>;
  };
  integrations: IntegrationStatus[];
  destinations: DestinationStatus[];
}

export interface Timeseries {
  metric: string;
  total: number;
  buckets: { start: string; value: number }[];
}

export interface Integration {
  id: string;
  name: string;
  organizationUrl: string;
  keyId: string;
  subAccount: string | null;
  secretHint: string;
  pollIntervalSeconds: number;
  initialLookbackHours: number;
  requestsPerHour: number;
  enabled: boolean;
  minSeverity: string | null;
  destinationId: string | null;
  /** Every destination its alerts go to (fan-out). */
  destinationIds?: string[];
  createdAt: string;
}

export interface ConnectionTest {
  ok: boolean;
  latencyMs?: number;
  alertsLastHour?: number;
  error?: { code: string; message: string };
}

export interface SyncRun {
  id: string;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  windowStart: string;
  windowEnd: string;
  relist: boolean;
  alertsListed: number;
  alertsNew: number;
  alertsChanged: number;
  alertsUnchanged: number;
  alertsFiltered: number;
  apiCalls: Record<string, Record<string, number>>;
  rateLimited: number;
  error: RunError | null;
  progress: {
    chunksTotal: number;
    chunksDone: number;
    pagesListed: number;
    listedUntil: string | null;
    enrichmentPending: number | null;
    enrichmentDone: number | null;
  };
}

export interface AlertSummary {
  id: string;
  integrationId: string;
  alertId: string;
  version: number;
  severity: string;
  status: string;
  alertType: string;
  alertName: string;
  startTime: string;
  state: string;
  failedScopes: string[];
  firstSeenAt: string;
  updatedAt: string;
}

export interface ScopeOutcome {
  outcome: string;
  attempts: number;
  error: string | null;
}

export interface AlertDelivery {
  id: string;
  state: string;
  attempts: number;
  destinationId: string | null;
  deliveredAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
}

export interface AlertVersion {
  version: number;
  state: string;
  createdAt: string;
  completedAt: string | null;
  documentHash: string | null;
  failedScopes: string[];
  scopes: Record<string, ScopeOutcome>;
  deliveries: AlertDelivery[];
}

export interface AlertDetail extends AlertSummary {
  versions: AlertVersion[];
  consoleUrl?: string | null;
  actions?: AlertAction[];
}

/** A close or comment sent to Lacework through the service, with its audit trail. */
export interface AlertAction {
  id: string;
  kind: 'close' | 'comment';
  reason: number | null;
  comment: string | null;
  state: 'pending' | 'done' | 'failed';
  requestedBy: string;
  requestId: string | null;
  createdAt: string;
  finishedAt: string | null;
  resultStatus: number | null;
  result: string | null;
  attempts: { attempt: number }[];
}

export interface Delivery {
  id: string;
  alertRowId: string;
  alertId: string;
  version: number;
  integrationId: string;
  destinationId: string | null;
  webhookId: string;
  state: string;
  attempts: number;
  nextAttemptAt: string;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export interface DeliveryAttempt {
  attemptedAt: string;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseBody?: string | null;
}

export interface DeliveryDetail extends Delivery {
  attemptLog: DeliveryAttempt[];
}

export type DestinationKind = 'webhook' | 'splunk_hec' | 'elasticsearch' | 'sentinel' | 'secops' | 'syslog';
export type DestinationFormat = 'document' | 'ocsf';

export interface Destination {
  id: string;
  name: string;
  kind: DestinationKind;
  format: DestinationFormat;
  url: string;
  /** The kind's settings without the write-only values. */
  settings: Record<string, unknown>;
  /** Names of the write-only settings that are set, never their values. */
  credentialNames: string[];
  batch: { maxEvents: number; maxBytes: number };
  headerNames: string[];
  enabled: boolean;
  state: string;
  pausedReason: string | null;
  previousSecretValidUntil: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  createdAt: string;
  signingSecret?: string;
}

export interface DestinationTest {
  ok: boolean;
  status: number | null;
  latencyMs: number;
  error: string | null;
  /** The destination's answer in words. */
  answer: string;
}
