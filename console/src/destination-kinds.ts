import type { DestinationFormat, DestinationKind } from './types';

/**
 * What the console knows of each destination kind's settings, mirroring the `parse` of
 * src/delivery/senders/<kind>.settings.ts. The service checks every value again; this only decides the form's fields.
 */
export interface SettingField {
  /** The key in `settings`. */
  key: string;
  label: string;
  /** `secret` and `secret-pem` are write-only: never shown, only sent when typed. */
  control: 'text' | 'number' | 'secret' | 'pem' | 'secret-pem' | 'check' | 'select';
  options?: readonly (readonly [value: string, label: string])[];
  placeholder?: string;
  hint?: string;
  /** The value a new destination starts with. */
  initial?: string;
  /** The API's limits: the longest text, or the range of a number. */
  min?: number;
  max?: number;
  /** Shown (and sent) only while the setting `key` has `value` (`true`/`false` for a check). */
  when?: { key: string; value: string };
  /** While hidden, the stored value stays (it is not removed as a setting of another choice would be). */
  keepWhenHidden?: boolean;
}

export interface KindInfo {
  label: string;
  urlLabel: string;
  urlPlaceholder: string;
  urlHint?: string;
  fields: readonly SettingField[];
  /** Settings besides the url that decide where the secrets go: changing one needs the secrets again. */
  targetFields: readonly string[];
  /** Defaults and largest values of batch.maxEvents / maxBytes; null: one event per request (webhook). */
  batch: { events: number; maxEvents: number; bytes: number; maxBytes: number } | null;
}

export const isSecret = (f: SettingField): boolean => f.control === 'secret' || f.control === 'secret-pem';

const MIB = 1024 * 1024;

const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'audit',
  'alert',
  'clock',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
].map((f) => [f, f] as const);

export const KINDS: Readonly<Record<DestinationKind, KindInfo>> = {
  webhook: {
    label: 'Webhook',
    urlLabel: 'Webhook URL',
    urlPlaceholder: 'https://pipeline.internal:8443/lacework',
    fields: [],
    targetFields: [],
    batch: null,
  },
  splunk_hec: {
    label: 'Splunk HEC',
    urlLabel: 'Collector URL',
    urlPlaceholder: 'https://splunk.example.com:8088/services/collector/event',
    urlHint: 'An empty path means /services/collector/event.',
    fields: [
      { key: 'token', label: 'HEC token', control: 'secret' },
      { key: 'index', label: 'Index', control: 'text', max: 80, hint: "Empty: the token's default index." },
      { key: 'source', label: 'Source', control: 'text' },
      { key: 'sourcetype', label: 'Sourcetype', control: 'text', placeholder: 'lacework:alert' },
      { key: 'host', label: 'Host', control: 'text', max: 255, hint: "Empty: Splunk's default host." },
      {
        key: 'useAck',
        label: 'Wait for indexer acknowledgement (useAck)',
        control: 'check',
        hint: 'Only when the token has indexer acknowledgement turned on.',
      },
      {
        key: 'ackTimeoutMs',
        label: 'Acknowledgement timeout (ms)',
        control: 'number',
        min: 1000,
        max: 600_000,
        placeholder: '30000',
        hint: 'From 1000 to 600000; default 30000.',
        when: { key: 'useAck', value: 'true' },
        keepWhenHidden: true,
      },
    ],
    targetFields: [],
    batch: { events: 100, maxEvents: 10_000, bytes: MIB, maxBytes: 800 * MIB },
  },
  elasticsearch: {
    label: 'Elasticsearch / OpenSearch',
    urlLabel: 'Cluster URL',
    urlPlaceholder: 'https://elastic.example.com:9200',
    urlHint: 'The base URL of the cluster, without /_bulk.',
    fields: [
      { key: 'index', label: 'Index or data stream', control: 'text', placeholder: 'lacework-alerts' },
      {
        key: 'auth',
        label: 'Authentication',
        control: 'select',
        initial: 'api_key',
        options: [
          ['api_key', 'API key'],
          ['basic', 'Username and password'],
        ],
      },
      {
        key: 'apiKey',
        label: 'API key (encoded)',
        control: 'secret',
        when: { key: 'auth', value: 'api_key' },
        hint: 'The base64 "encoded" value, without "ApiKey ".',
      },
      { key: 'username', label: 'Username', control: 'text', when: { key: 'auth', value: 'basic' } },
      { key: 'password', label: 'Password', control: 'secret', when: { key: 'auth', value: 'basic' } },
    ],
    targetFields: ['username'],
    batch: { events: 500, maxEvents: 10_000, bytes: 5 * MIB, maxBytes: 100 * MIB },
  },
  sentinel: {
    label: 'Microsoft Sentinel',
    urlLabel: 'Data collection endpoint URL',
    urlPlaceholder: 'https://my-dce-a1b2.eastus-1.ingest.monitor.azure.com',
    fields: [
      { key: 'tenantId', label: 'Tenant ID', control: 'text' },
      { key: 'clientId', label: 'Client (application) ID', control: 'text' },
      { key: 'clientSecret', label: 'Client secret', control: 'secret' },
      {
        key: 'dcrImmutableId',
        label: 'Data collection rule immutable ID',
        control: 'text',
        placeholder: 'dcr-…',
      },
      { key: 'streamName', label: 'Stream name', control: 'text', placeholder: 'Custom-LaceworkAlerts_CL' },
      {
        key: 'authorityHost',
        label: 'Authority host (optional)',
        control: 'text',
        placeholder: 'https://login.microsoftonline.com',
        hint: 'Only for a sovereign cloud.',
      },
    ],
    targetFields: ['tenantId', 'clientId', 'authorityHost'],
    batch: { events: 500, maxEvents: 10_000, bytes: 1_000_000, maxBytes: 1_000_000 },
  },
  secops: {
    label: 'Google SecOps',
    urlLabel: 'Feed URL',
    urlPlaceholder: 'https://…-chronicle.googleapis.com/v1alpha/projects/…/feeds/…:importPushLogs',
    urlHint: "The feed's endpoint URL, ending in :importPushLogs.",
    fields: [
      { key: 'apiKey', label: 'API key', control: 'secret' },
      { key: 'secret', label: 'Feed secret', control: 'secret' },
    ],
    targetFields: [],
    batch: { events: 500, maxEvents: 10_000, bytes: 4_000_000, maxBytes: 4_000_000 },
  },
  syslog: {
    label: 'Syslog over TLS',
    urlLabel: 'Syslog address (tls://host:port)',
    urlPlaceholder: 'tls://syslog.example.com:6514',
    fields: [
      {
        key: 'caCertificate',
        label: 'CA certificate (PEM, optional)',
        control: 'pem',
        hint: "Empty: the system's trusted CAs.",
      },
      { key: 'clientCertificate', label: 'Client certificate (PEM, optional)', control: 'pem' },
      { key: 'clientKey', label: 'Client key (PEM, with the client certificate)', control: 'secret-pem' },
      {
        key: 'serverName',
        label: 'TLS server name (optional)',
        control: 'text',
        max: 253,
        hint: 'The name in the receiver certificate, when it is not the host of the address.',
      },
      { key: 'facility', label: 'Facility', control: 'select', options: FACILITIES, initial: 'local0' },
      { key: 'appName', label: 'App name', control: 'text', max: 48, placeholder: 'lacework-connector' },
      {
        key: 'hostname',
        label: 'Hostname',
        control: 'text',
        max: 255,
        hint: "Empty: this machine's hostname.",
      },
      { key: 'msgId', label: 'Message ID (MSGID)', control: 'text', max: 32, placeholder: 'ALERT' },
      {
        key: 'maxMessageBytes',
        label: 'Largest message (bytes, optional)',
        control: 'number',
        min: 2048,
        max: 67_108_864,
        placeholder: '200000',
        hint: "From 2048 to 67108864; default 200000, rsyslog's MaxFrameSize. A longer alert is rejected, not sent: raise it together with the receiver's limit.",
      },
    ],
    targetFields: ['serverName', 'caCertificate'],
    batch: { events: 100, maxEvents: 5000, bytes: 4 * MIB, maxBytes: 64 * MIB },
  },
};

export const KIND_ORDER = Object.keys(KINDS) as DestinationKind[];

export const FORMATS: Readonly<Record<DestinationFormat, string>> = {
  document: 'Document (the stored alert JSON)',
  ocsf: 'OCSF 1.5.0 Detection Finding',
};

export function kindLabel(kind: string): string {
  return KINDS[kind as DestinationKind]?.label ?? kind;
}
