/** Alert seeds, list records and scope payloads served by the fake Lacework API, all deterministic per alertId. */

export type ScopeName =
  'Details' | 'Investigation' | 'Events' | 'RelatedAlerts' | 'Integrations' | 'Timeline';
export const SCOPE_NAMES: readonly ScopeName[] = Object.freeze([
  'Details',
  'Investigation',
  'Events',
  'RelatedAlerts',
  'Integrations',
  'Timeline',
] as const);

/** Scopes served beyond the six; an alert type may not support them (Lacework then answers 400). */
export type ExtraScopeName = 'ObservationTimeline';
export const EXTRA_SCOPE_NAMES: readonly ExtraScopeName[] = Object.freeze(['ObservationTimeline'] as const);
export type AnyScopeName = ScopeName | ExtraScopeName;
/** What a scope renders as when the alert's type does not support it. */
export const UNSUPPORTED_SCOPE = Symbol('unsupported scope');

/** Alert types whose alerts have no observation timeline at all (the scope is "not supported" for them). */
const NO_OBSERVATION_TIMELINE = new Set(['CloudActivityLogIngestionFailed', 'NewK8sAuditLogClusterRole']);

export type FakeSeverity = 'Critical' | 'High' | 'Medium' | 'Low' | 'Info';
export type FakeStatus = 'Open' | 'Closed';
export const FAKE_SEVERITIES: readonly FakeSeverity[] = Object.freeze([
  'Critical',
  'High',
  'Medium',
  'Low',
  'Info',
] as const);

export interface FakeAlertSeed {
  /** Decimal digits; served as a JSON number. */
  alertId: string;
  alertName?: string;
  alertType?: string;
  severity?: FakeSeverity;
  status?: FakeStatus;
  /** Normally on the hour; endTime is one hour later. */
  startTime: Date;
  /** When the alert starts to appear in listings; absent means immediately. */
  visibleAt?: Date;
  /** The sub-account the alert belongs to; absent means the key's own account. */
  subAccount?: string;
  /** Raw JSON text of a scope's `data`, or 404; absent scopes get generated defaults. */
  scopes?: Partial<Record<AnyScopeName, string | 404>>;
}

export interface GenerateAlertsOptions {
  /** Floored to the hour; the first alert starts then. */
  start: Date;
  /** alertId of the first alert, default 1000000; ids increase with startTime. */
  firstId?: number;
  /** Severities to draw from (deterministically per alertId), default all five. */
  severities?: readonly FakeSeverity[];
  /** Number of hourly buckets the alerts are spread over, default 24. */
  hours?: number;
  subAccount?: string;
}

const HOUR_MS = 3_600_000;

/** The state of one alert as the fake serves it. */
export interface FakeAlertState {
  readonly alertId: string;
  readonly alertName: string;
  readonly alertType: string;
  severity: FakeSeverity;
  status: FakeStatus;
  readonly startMs: number;
  readonly endMs: number;
  readonly visibleAtMs: number | undefined;
  readonly subAccount: string | undefined;
  readonly scopes: Partial<Record<AnyScopeName, string | 404>>;
  readonly profile: AlertProfile;
  readonly policyId: string | undefined;
  listText: string | undefined;
}

interface AlertProfile {
  alertType: string;
  alertName: string;
  category: string;
  subCategory: string;
  source: string;
  eventSource: string;
  eventName: string;
  subject: string;
  description: string;
}

const PROFILES: readonly AlertProfile[] = [
  {
    alertType: 'ServiceCalledawsApi',
    alertName: 'New AWS User',
    category: 'Anomaly',
    subCategory: 'Cloud Activity',
    source: 'aws',
    eventSource: 'iam.amazonaws.com',
    eventName: 'CreateUser',
    subject: 'New user created in AWS account',
    description: 'A user that has not been seen before was created by an IAM principal.',
  },
  {
    alertType: 'UnauthorizedAPICall',
    alertName: 'Unauthorized API Call',
    category: 'Policy',
    subCategory: 'Cloud Activity',
    source: 'aws',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetBucketPolicy',
    subject: 'Access denied for an API call',
    description: 'An API call was denied because the caller lacked the permission.',
  },
  {
    alertType: 'NewExternalServerIp',
    alertName: 'New External Server IP',
    category: 'Anomaly',
    subCategory: 'Application',
    source: 'agent',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'AuthorizeSecurityGroupIngress',
    subject: 'Connection to a new external server',
    description: 'A process connected to an external address it has not used before.',
  },
  {
    alertType: 'MaliciousFile',
    alertName: 'Known Malicious File',
    category: 'Policy',
    subCategory: 'File',
    source: 'agent',
    eventSource: 'ssm.amazonaws.com',
    eventName: 'SendCommand',
    subject: 'File with a known malicious hash',
    description: 'A file whose hash is on a threat list was written to disk.',
  },
  {
    alertType: 'NewK8sAuditLogClusterRole',
    alertName: 'New Kubernetes Cluster Role',
    category: 'Anomaly',
    subCategory: 'Kubernetes Activity',
    source: 'k8s',
    eventSource: 'eks.amazonaws.com',
    eventName: 'CreateClusterRole',
    subject: 'New cluster role in a Kubernetes cluster',
    description: 'A cluster role that grants wide permissions was created.',
  },
  {
    alertType: 'CloudActivityLogIngestionFailed',
    alertName: 'Cloud Activity Log Ingestion Failed',
    category: 'Policy',
    subCategory: 'Platform',
    source: 'aws',
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    subject: 'CloudTrail logging stopped',
    description: 'Logs of cloud activity stopped arriving for an account.',
  },
];

const USERNAMES = ['alice.ops', 'build-bot', 'deploy-role', 'svc-backup', 'root'] as const;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'] as const;

/** xorshift32: small, fast and fully determined by its seed. */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    let x = state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    state = x >>> 0;
    return state / 4_294_967_296;
  };
}

function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function randomFor(alertId: string, purpose: string): () => number {
  const random = createSeededRandom(hashText(`${alertId}:${purpose}`));
  // Warm up so that neighbouring seeds diverge.
  random();
  random();
  return random;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function intBetween(random: () => number, low: number, high: number): number {
  return low + Math.floor(random() * (high - low + 1));
}

function hex(random: () => number, length: number): string {
  let out = '';
  while (out.length < length) {
    out += Math.floor(random() * 4_294_967_296)
      .toString(16)
      .padStart(8, '0');
  }
  return out.slice(0, length);
}

function uuid(random: () => number): string {
  const h = hex(random, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A 19-digit odd integer, so it can never be represented exactly as a double. */
export function machineIdFor(alertId: string): string {
  const random = randomFor(alertId, 'mid');
  const high = BigInt(Math.floor(random() * 4_294_967_296));
  const low = BigInt(Math.floor(random() * 4_294_967_296));
  const value = (((high << 32n) | low) % 9_000_000_000_000_000_000n) + 1_000_000_000_000_000_000n;
  return (value | 1n).toString();
}

/** Orders alerts as listings do: by startTime, then by numeric alertId. */
export function compareAlerts(a: FakeAlertState, b: FakeAlertState): number {
  if (a.startMs !== b.startMs) {
    return a.startMs - b.startMs;
  }
  return compareDecimal(a.alertId, b.alertId);
}

function compareDecimal(a: string, b: string): number {
  if (a.length !== b.length) {
    return a.length - b.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Validates a seed and turns it into the state the fake serves. */
export function createAlertState(seed: FakeAlertSeed): FakeAlertState {
  if (!/^\d+$/.test(seed.alertId)) {
    throw new Error(`alertId must be decimal digits, got ${JSON.stringify(seed.alertId)}`);
  }
  const startMs = seed.startTime.getTime();
  if (Number.isNaN(startMs)) {
    throw new Error(`alert ${seed.alertId} has an invalid startTime`);
  }
  const visibleAtMs = seed.visibleAt?.getTime();
  if (visibleAtMs !== undefined && Number.isNaN(visibleAtMs)) {
    throw new Error(`alert ${seed.alertId} has an invalid visibleAt`);
  }
  for (const scope of Object.keys(seed.scopes ?? {})) {
    if (![...SCOPE_NAMES, ...EXTRA_SCOPE_NAMES].includes(scope as AnyScopeName)) {
      throw new Error(`alert ${seed.alertId} has an unknown scope ${scope}`);
    }
  }
  const random = randomFor(seed.alertId, 'alert');
  const profile = pick(random, PROFILES);
  const severity = seed.severity ?? pick(random, FAKE_SEVERITIES);
  // About one alert in five comes without a policyId, as the real API does.
  const policyId =
    random() < 0.2 ? undefined : `LW_${profile.source.toUpperCase()}_${intBetween(random, 1, 999)}`;
  return {
    alertId: seed.alertId,
    alertName: seed.alertName ?? profile.alertName,
    alertType: seed.alertType ?? profile.alertType,
    severity,
    status: seed.status ?? 'Open',
    startMs,
    endMs: startMs + HOUR_MS,
    visibleAtMs,
    subAccount: seed.subAccount,
    scopes: { ...(seed.scopes ?? {}) },
    profile,
    policyId,
    listText: undefined,
  };
}

function membersOf(value: object): string {
  return JSON.stringify(value).slice(1, -1);
}

function rawObject(members: readonly string[]): string {
  return `{${members.filter((member) => member.length > 0).join(',')}}`;
}

function rawMember(key: string, rawValue: string): string {
  return `${JSON.stringify(key)}:${rawValue}`;
}

function alertInfo(alert: FakeAlertState): { subject: string; description: string } {
  return { subject: alert.profile.subject, description: alert.profile.description };
}

/** The alert's record in a listing, as raw JSON text with alertId as a number. */
export function renderListRecord(alert: FakeAlertState): string {
  if (alert.listText === undefined) {
    alert.listText = rawObject([
      rawMember('alertId', alert.alertId),
      membersOf({
        alertName: alert.alertName,
        alertType: alert.alertType,
        severity: alert.severity,
        status: alert.status,
        startTime: iso(alert.startMs),
        endTime: iso(alert.endMs),
        lastUserUpdatedTime: '0',
        reachability: 'UnknownReachability',
        internetExposure: 'UnknownInternetExposure',
        derivedFields: {
          category: alert.profile.category,
          sub_category: alert.profile.subCategory,
          source: alert.profile.source,
        },
        alertInfo: alertInfo(alert),
        policyId: alert.policyId,
        alertSource: 'UnknownAlertSource',
        evolvingAlert: false,
      }),
    ]);
  }
  return alert.listText;
}

/** The raw `data` text a scope answers with, or 404. */
export function renderScopeData(alert: FakeAlertState, scope: ScopeName): string | 404 {
  const seeded = alert.scopes[scope];
  if (seeded !== undefined) {
    return seeded;
  }
  switch (scope) {
    case 'Details':
      return renderDetails(alert);
    case 'Investigation':
      return renderInvestigation(alert);
    case 'Events':
      return renderEvents(alert);
    case 'RelatedAlerts':
      return renderRelatedAlerts(alert);
    case 'Integrations':
      return renderIntegrations(alert);
    case 'Timeline':
      return renderTimeline(alert);
  }
}

/**
 * The observation timeline's `data`: 'unsupported' for alert types without one, else 404 for about half of the
 * alerts and a short list of observations for the rest.
 */
export function renderObservationTimeline(alert: FakeAlertState): string | 404 | typeof UNSUPPORTED_SCOPE {
  const seeded = alert.scopes.ObservationTimeline;
  if (seeded !== undefined) {
    return seeded;
  }
  if (NO_OBSERVATION_TIMELINE.has(alert.alertType)) {
    return UNSUPPORTED_SCOPE;
  }
  const random = randomFor(alert.alertId, 'observations');
  if (random() < 0.5) {
    return 404;
  }
  const count = intBetween(random, 1, 3);
  const entries = Array.from({ length: count }, (_, i) =>
    rawObject([
      rawMember('alertId', alert.alertId),
      membersOf({
        observationTime: iso(alert.startMs + (i + 1) * intBetween(random, 60, 900) * 1000),
        observationType: pick(random, ['ProcessStarted', 'ApiCall', 'NetworkConnection']),
        summary: `observation ${i + 1} of ${count}`,
      }),
    ]),
  );
  return `[${entries.join(',')}]`;
}

function renderDetails(alert: FakeAlertState): string {
  const random = randomFor(alert.alertId, 'details');
  const mid = machineIdFor(alert.alertId);
  const octet3 = intBetween(random, 0, 255);
  const octet4 = intBetween(random, 1, 254);
  const username = pick(random, USERNAMES);
  const region = pick(random, REGIONS);
  const machine = rawObject([
    rawMember('KEY', rawObject([rawMember('mid', mid)])),
    rawMember(
      'PROPS',
      rawObject([
        rawMember('mid', mid),
        membersOf({
          hostname: `ip-10-0-${octet3}-${octet4}.ec2.internal`,
          external_ip: `203.0.113.${octet4}`,
          internal_ip_addr: `10.0.${octet3}.${octet4}`,
          risk_score: intBetween(random, 1, 10),
          tags: { Name: `worker-${octet4}`, Environment: pick(random, ['prod', 'staging', 'dev']) },
        }),
      ]),
    ),
  ]);
  const otherEntities = {
    User: [{ KEY: { username }, PROPS: { username, uid: intBetween(random, 1000, 65000) } }],
    Region: [{ KEY: { region }, PROPS: { accounts: [`${intBetween(random, 100000000000, 999999999999)}`] } }],
  };
  const entityMap = rawObject([rawMember('Machine', `[${machine}]`), membersOf(otherEntities)]);
  return rawObject([
    rawMember('alertId', alert.alertId),
    membersOf({
      alertName: alert.alertName,
      alertType: alert.alertType,
      severity: alert.severity,
      status: alert.status,
      startTime: iso(alert.startMs),
      endTime: iso(alert.endMs),
      alertInfo: alertInfo(alert),
      policyId: alert.policyId,
      derivedFields: {
        category: alert.profile.category,
        sub_category: alert.profile.subCategory,
        source: alert.profile.source,
      },
    }),
    rawMember('entityMap', entityMap),
  ]);
}

function renderInvestigation(alert: FakeAlertState): string {
  const random = randomFor(alert.alertId, 'investigation');
  if (random() < 0.1) {
    return '[]';
  }
  return JSON.stringify([
    { question: 'Has this principal performed this action before?', answer: random() < 0.5 ? 'No' : 'Yes' },
    { question: 'Is the source IP address known?', answer: random() < 0.5 ? 'No' : 'Yes' },
    { question: 'Was multi-factor authentication used?', answer: random() < 0.5 ? 'No' : 'Unknown' },
  ]);
}

function renderEvents(alert: FakeAlertState): string | 404 {
  const random = randomFor(alert.alertId, 'events');
  if (random() < 0.1) {
    return 404;
  }
  const count = intBetween(random, 1, 3);
  const account = `${intBetween(random, 100000000000, 999999999999)}`;
  const events: object[] = [];
  for (let i = 0; i < count; i++) {
    const eventId = uuid(random);
    const eventTime = iso(alert.startMs + intBetween(random, 0, HOUR_MS - 1000));
    const region = pick(random, REGIONS);
    const username = pick(random, USERNAMES);
    const cloudTrailRecord = {
      eventVersion: '1.08',
      userIdentity: {
        type: 'IAMUser',
        principalId: `AIDA${hex(random, 16).toUpperCase()}`,
        arn: `arn:aws:iam::${account}:user/${username}`,
        accountId: account,
        userName: username,
      },
      eventTime,
      eventSource: alert.profile.eventSource,
      eventName: alert.profile.eventName,
      awsRegion: region,
      sourceIPAddress: `198.51.100.${intBetween(random, 1, 254)}`,
      userAgent: 'aws-cli/2.15.0 Python/3.11.6',
      requestParameters: { resource: `res-${hex(random, 8)}` },
      responseElements: null,
      eventID: eventId,
      readOnly: false,
      eventType: 'AwsApiCall',
      recipientAccountId: account,
    };
    events.push({
      EVENT_ID: eventId,
      EVENT_NAME: alert.profile.eventName,
      EVENT_SOURCE: alert.profile.eventSource,
      EVENT_TIME: eventTime,
      EVENT_TYPE: 'AwsApiCall',
      ACCOUNT: account,
      REGION: region,
      ERROR_CODE: random() < 0.3 ? 'AccessDenied' : null,
      // CloudTrail records arrive as JSON held inside a string.
      EVENT: JSON.stringify(cloudTrailRecord),
    });
  }
  return JSON.stringify(events);
}

function renderRelatedAlerts(alert: FakeAlertState): string {
  const random = randomFor(alert.alertId, 'related');
  if (random() < 0.35) {
    return '[]';
  }
  const count = intBetween(random, 1, 3);
  const related: object[] = [];
  for (let rank = 1; rank <= count; rank++) {
    const profile = pick(random, PROFILES);
    const startMs = alert.startMs - intBetween(random, 1, 48) * HOUR_MS;
    related.push({
      eventId: `${Math.max(1, Number(alert.alertId) - intBetween(random, 1, 5000))}`,
      eventName: profile.alertName,
      eventType: profile.alertType,
      severity: intBetween(random, 1, 5),
      rank,
      eventInfo: { subject: profile.subject, description: profile.description },
      startTime: iso(startMs),
      endTime: iso(startMs + HOUR_MS),
    });
  }
  return JSON.stringify(related);
}

function renderIntegrations(alert: FakeAlertState): string | 404 {
  const random = randomFor(alert.alertId, 'integrations');
  if (random() < 0.8) {
    return 404;
  }
  const intgGuid = `TECHALLY_${hex(random, 32).toUpperCase()}`;
  const entries = [
    rawObject([
      membersOf({ alertIntegrationId: uuid(random) }),
      rawMember('alertId', alert.alertId),
      membersOf({
        integrationType: 'JIRA',
        alertChannel: {
          INTG_GUID: intgGuid,
          NAME: 'Jira Cloud',
          TYPE: 'JIRA',
          ENABLED: 1,
          IS_ORG: 0,
          STATE: { ok: true, lastUpdatedTime: iso(alert.startMs), lastSuccessfulTime: iso(alert.startMs) },
          DATA: { JIRA_TYPE: 'JIRA_CLOUD', PROJECT_ID: 'SEC', ISSUE_TYPE: 'Bug' },
        },
        intgGuid,
        lastSyncTime: iso(alert.endMs + intBetween(random, 1, 600) * 1000),
        status: pick(random, ['Sent', 'Synced']),
        isBidirectional: random() < 0.5,
      }),
    ]),
  ];
  return `[${entries.join(',')}]`;
}

function renderTimeline(alert: FakeAlertState): string | 404 {
  const random = randomFor(alert.alertId, 'timeline');
  if (random() < 0.9) {
    return 404;
  }
  const username = pick(random, USERNAMES);
  const entry = rawObject([
    membersOf({ id: intBetween(random, 1, 1_000_000) }),
    rawMember('alertId', alert.alertId),
    membersOf({
      entryType: 'UserComment',
      entryAuthorType: 'User',
      message: { value: 'Looked at this, talking to the owner.' },
      externalTime: iso(alert.endMs + intBetween(random, 60, 86_400) * 1000),
      user: { userGuid: `USER_${hex(random, 24).toUpperCase()}`, username },
      updateContext: {},
    }),
  ]);
  return `[${entry}]`;
}

/** Deterministic alerts spread evenly over hourly buckets, ids increasing with startTime. */
export function generateAlerts(n: number, opts: GenerateAlertsOptions): FakeAlertSeed[] {
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`n must be a non-negative integer, got ${n}`);
  }
  const hours = opts.hours ?? 24;
  if (!Number.isInteger(hours) || hours < 1) {
    throw new Error(`hours must be a positive integer, got ${hours}`);
  }
  const severities = opts.severities ?? FAKE_SEVERITIES;
  if (severities.length === 0) {
    throw new Error('severities must not be empty');
  }
  const firstId = opts.firstId ?? 1_000_000;
  const baseMs = Math.floor(opts.start.getTime() / HOUR_MS) * HOUR_MS;
  const seeds: FakeAlertSeed[] = [];
  for (let i = 0; i < n; i++) {
    const alertId = String(firstId + i);
    const hour = Math.floor((i * hours) / n);
    const seed: FakeAlertSeed = {
      alertId,
      severity: severities[hashText(alertId) % severities.length],
      startTime: new Date(baseMs + hour * HOUR_MS),
    };
    if (opts.subAccount !== undefined) {
      seed.subAccount = opts.subAccount;
    }
    seeds.push(seed);
  }
  return seeds;
}
