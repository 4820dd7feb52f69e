import { isIP } from 'node:net';

/** What the OCSF rendering of one alert version is made from. */
export interface OcsfInput {
  /** The assembled alert document, as stored. */
  document: string;
  deliveryId: string;
  alertId: string;
  version: number;
  /** The alert in the Lacework console, when known. */
  consoleUrl: string | null;
  integrationId: string;
}

export const OCSF_SCHEMA_VERSION = '1.5.0';
const CATEGORY_UID = 2;
const CLASS_UID = 2004;
/** Caps on what is lifted from the Details scope's entities; the whole document stays under `unmapped` anyway. */
const MAX_RESOURCES = 100;
const MAX_EVIDENCES = 100;
const MAX_TAGS = 50;
/** The largest time a JavaScript Date can hold, in epoch milliseconds. */
const MAX_EPOCH_MS = 8.64e15;

type JsonObject = Record<string, unknown>;
type Activity = { id: 1 | 2 | 3; name: 'Create' | 'Update' | 'Close' };

/**
 * Renders one alert version as an OCSF 1.5.0 Detection Finding (class 2004): one JSON object on one line, with the
 * whole document embedded verbatim under `unmapped.lacework`. Never throws: a document with missing or odd fields
 * still gives a valid finding, and one that is not JSON at all travels as `raw_data` instead.
 */
export function renderOcsfFinding(input: OcsfInput): string {
  const parsed = parseDocument(input.document);
  const doc = asObject(parsed.value) ?? {};
  const details = asObject(doc.scopeDetails) ?? {};
  const read = (...names: string[]): unknown => get(doc, names) ?? get(details, names);
  const alertInfo = { ...asObject(get(details, ['alertInfo'])), ...asObject(get(doc, ['alertInfo'])) };
  const derived = { ...asObject(get(details, ['derivedFields'])), ...asObject(get(doc, ['derivedFields'])) };

  const statusWord = text(read('status'));
  const status = findingStatus(statusWord);
  const activity = findingActivity(status.id, input.version);
  const severity = findingSeverity(read('severity'));

  const startMs = epochMs(read('startTime'));
  const endMs = epochMs(read('endTime'));
  const changedMs = epochMs(read('lastUserUpdatedTime'));
  const seen = seenTimes(doc.scopeEvents);

  const alertName = text(read('alertName'));
  const alertType = text(read('alertType'));
  const subject = text(get(alertInfo, ['subject']));
  const description = text(get(alertInfo, ['description']));
  const policyId = text(read('policyId'));
  const consoleUrl = input.consoleUrl?.trim() || undefined;
  const source = text(get(derived, ['source']));

  const uid = input.alertId.trim() || text(read('alertId')) || 'unknown';
  const entities = mapEntities(get(details, ['entityMap', 'ENTITY_MAP']));

  const finding: JsonObject = {
    activity_id: activity.id,
    activity_name: activity.name,
    category_uid: CATEGORY_UID,
    category_name: 'Findings',
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    type_uid: CLASS_UID * 100 + activity.id,
    type_name: `Detection Finding: ${activity.name}`,
    severity_id: severity.id,
    severity: severity.name,
    status_id: status.id,
    status: status.name,
    status_code: statusWord,
    is_alert: true,
    time: changedMs ?? startMs ?? Date.now(),
    start_time: startMs,
    end_time: endMs,
    message: subject ?? description ?? alertName,
    finding_info: {
      uid,
      title: alertName ?? alertType,
      desc: description ?? subject,
      types: alertType === undefined ? undefined : [alertType],
      created_time: startMs,
      modified_time: changedMs,
      first_seen_time: seen?.first,
      last_seen_time: seen?.last,
      src_url: consoleUrl,
      data_sources: source === undefined ? undefined : [source],
      analytic:
        policyId === undefined
          ? undefined
          : {
              type_id: 1,
              type: 'Rule',
              uid: policyId,
              name: alertName,
              category: text(get(derived, ['category'])),
            },
    },
    metadata: {
      version: OCSF_SCHEMA_VERSION,
      product: { name: 'FortiCNAPP', vendor_name: 'Fortinet' },
      uid: input.deliveryId,
      correlation_uid: `lacework:${uid}`,
      event_code: alertType,
      log_name: 'lacework-alerts',
      original_time: text(read('startTime')),
      tenant_uid: tenantOf(doc, details, consoleUrl),
      tags: [
        ...(input.integrationId.trim() === ''
          ? []
          : [{ name: 'integration_id', value: input.integrationId }]),
        { name: 'alert_version', value: String(input.version) },
      ],
    },
    resources: entities.resources.length > 0 ? entities.resources : undefined,
    evidences: entities.evidences.length > 0 ? entities.evidences : undefined,
  };
  if (parsed.ok) {
    // The document is embedded as the text it is, so every digit and key survives; line breaks (only ever
    // whitespace between tokens in valid JSON) become spaces to keep the finding on one line.
    const head = JSON.stringify(finding);
    return `${head.slice(0, -1)},"unmapped":{"lacework":${input.document.replace(/[\r\n]/g, ' ')}}}`;
  }
  finding.raw_data = input.document;
  finding.raw_data_size = Buffer.byteLength(input.document, 'utf8');
  return JSON.stringify(finding);
}

/** Integers of 16 digits or more, which a double may not hold exactly. */
const LONG_INTEGER = /\d{16}/;
const LONG_INTEGER_TOKEN = /^-?\d{16,}$/;
/** JSON strings and numbers, in order; in valid JSON every quote outside a string opens one. */
const STRING_OR_NUMBER = /"[^"\\]*(?:\\.[^"\\]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/**
 * Parses the document to read fields from. Long integers (machine ids) are read as their digits: the text is
 * checked to be JSON first, then parsed again with those numbers quoted.
 */
function parseDocument(document: string): { ok: boolean; value: unknown } {
  let value: unknown;
  try {
    value = JSON.parse(document);
  } catch {
    return { ok: false, value: undefined };
  }
  if (!LONG_INTEGER.test(document)) {
    return { ok: true, value };
  }
  const quoted = document.replace(STRING_OR_NUMBER, (token) =>
    LONG_INTEGER_TOKEN.test(token) ? `"${token}"` : token,
  );
  try {
    return { ok: true, value: JSON.parse(quoted) };
  } catch {
    return { ok: true, value };
  }
}

function findingActivity(statusId: number, version: number): Activity {
  if (statusId === 4) {
    return { id: 3, name: 'Close' };
  }
  return version > 1 ? { id: 2, name: 'Update' } : { id: 1, name: 'Create' };
}

/** Lacework's status word to the finding's status: Open, In Progress and Closed have their own ids. */
function findingStatus(word: string | undefined): { id: number; name: string } {
  if (word === undefined) {
    return { id: 0, name: 'Unknown' };
  }
  switch (word.toLowerCase().replace(/[\s_-]/g, '')) {
    case 'open':
    case 'new':
      return { id: 1, name: 'New' };
    case 'inprogress':
      return { id: 2, name: 'In Progress' };
    case 'closed':
    case 'resolved':
      return { id: 4, name: 'Resolved' };
    default:
      return { id: 99, name: word };
  }
}

const SEVERITY_BY_WORD: Record<string, { id: number; name: string }> = {
  critical: { id: 5, name: 'Critical' },
  high: { id: 4, name: 'High' },
  medium: { id: 3, name: 'Medium' },
  low: { id: 2, name: 'Low' },
  info: { id: 1, name: 'Informational' },
  informational: { id: 1, name: 'Informational' },
};
/** Lacework's numeric severities run the other way: 1 is Critical, 5 is Info. */
const SEVERITY_BY_NUMBER = ['critical', 'high', 'medium', 'low', 'info'];

function findingSeverity(value: unknown): { id: number; name: string } {
  const word = text(value)?.toLowerCase();
  if (word !== undefined) {
    const byNumber = /^[1-5]$/.test(word) ? SEVERITY_BY_NUMBER[Number(word) - 1] : word;
    const known = Object.hasOwn(SEVERITY_BY_WORD, byNumber) ? SEVERITY_BY_WORD[byNumber] : undefined;
    if (known !== undefined) {
      return known;
    }
  }
  return { id: 0, name: 'Unknown' };
}

/** The alert's tenant: the document's sub-account or account, else the account its console link names. */
function tenantOf(doc: JsonObject, details: JsonObject, consoleUrl: string | undefined): string | undefined {
  const names = ['subAccount', 'subaccount', 'accountName', 'account'];
  const own = text(get(doc, names)) ?? text(get(details, names));
  if (own !== undefined || consoleUrl === undefined) {
    return own;
  }
  try {
    return new URL(consoleUrl).searchParams.get('accountName')?.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Earliest and latest event time of the Events scope, when its records carry one. */
function seenTimes(events: unknown): { first: number; last: number } | undefined {
  if (!Array.isArray(events)) {
    return undefined;
  }
  let first = Infinity;
  let last = -Infinity;
  for (const event of events) {
    const ms = epochMs(get(asObject(event), ['EVENT_TIME', 'eventTime']));
    if (ms !== undefined) {
      first = Math.min(first, ms);
      last = Math.max(last, ms);
    }
  }
  return first <= last ? { first, last } : undefined;
}

interface MappedEntities {
  resources: JsonObject[];
  evidences: JsonObject[];
}

/** Lifts what OCSF has a place for out of the Details scope's `entityMap` (type -> list of {KEY, PROPS}). */
function mapEntities(entityMap: unknown): MappedEntities {
  const out: MappedEntities = { resources: [], evidences: [] };
  const map = asObject(entityMap);
  if (map === undefined) {
    return out;
  }
  const seen = new Set<string>();
  const add = (list: JsonObject[], cap: number, item: JsonObject | undefined): void => {
    if (item === undefined || list.length >= cap) {
      return;
    }
    const key = JSON.stringify(item);
    if (!seen.has(key)) {
      seen.add(key);
      list.push(item);
    }
  };
  for (const [type, list] of Object.entries(map)) {
    const kind = type.toLowerCase().replace(/[^a-z]/g, '');
    for (const entity of Array.isArray(list) ? list : [list]) {
      const bag = entityBag(entity);
      if (bag === undefined) {
        continue;
      }
      const mapped = mapEntity(kind, type, bag);
      add(out.resources, MAX_RESOURCES, mapped.resource);
      add(out.evidences, MAX_EVIDENCES, mapped.evidence);
    }
  }
  return out;
}

/** An entity's KEY and PROPS merged into one object (PROPS win), or the entity itself when it has neither. */
function entityBag(entity: unknown): JsonObject | undefined {
  const object = asObject(entity);
  if (object === undefined) {
    return undefined;
  }
  const key = asObject(get(object, ['KEY']));
  const props = asObject(get(object, ['PROPS']));
  return key === undefined && props === undefined ? object : { ...key, ...props };
}

function mapEntity(
  kind: string,
  type: string,
  bag: JsonObject,
): { resource?: JsonObject; evidence?: JsonObject } {
  switch (kind) {
    case 'machine':
    case 'host':
      return { resource: hostResource(bag) };
    case 'container':
      return { resource: containerResource(bag) };
    case 'user':
      return { evidence: wrap('user', plainUser(bag)) };
    case 'ctuser':
      return { evidence: wrap('user', cloudUser(bag)) };
    case 'process':
      return { evidence: wrap('process', processOf(bag)) };
    case 'fileexepath':
    case 'file':
      return { evidence: wrap('file', fileOf(bag, kind === 'fileexepath')) };
    case 'ipaddress':
    case 'dstipaddress':
      return { evidence: wrap('dst_endpoint', endpointOf(bag, ['ip_address', 'ip_addr', 'ip'], PORT_NAMES)) };
    case 'sourceipaddress':
    case 'srcipaddress':
      return { evidence: wrap('src_endpoint', endpointOf(bag, ['ip_address', 'ip_addr', 'ip'], PORT_NAMES)) };
    case 'dnsname':
      return { evidence: wrap('dst_endpoint', dnsEndpoint(bag)) };
    case 'connection':
    case 'newconnection':
    case 'networkconnection':
      return { evidence: connectionOf(bag) };
    case 'api':
      return { evidence: wrap('api', apiOf(bag)) };
    case 'resource':
      return { resource: cloudResource(bag, undefined) ?? namedResource(bag) };
    case 'region':
    case 'application':
      return {};
    default:
      return { resource: cloudResource(bag, type) };
  }
}

const PORT_NAMES = ['port', 'ports', 'dst_port'];

function wrap(name: string, value: JsonObject | undefined): JsonObject | undefined {
  return value === undefined ? undefined : { [name]: value };
}

function hostResource(bag: JsonObject): JsonObject | undefined {
  const uid = text(get(bag, ['mid', 'machine_id', 'instance_id']));
  const hostname = text(get(bag, ['hostname', 'host_name']));
  if (uid === undefined && hostname === undefined) {
    return undefined;
  }
  return {
    type: 'Host',
    uid,
    name: hostname,
    hostname,
    ip: ipOf(get(bag, ['internal_ip_addr', 'internal_ip', 'ip_addr', 'ip', 'external_ip'])),
    tags: tagsOf(get(bag, ['tags'])),
  };
}

function containerResource(bag: JsonObject): JsonObject | undefined {
  const repo = text(get(bag, ['image_repo']));
  const tag = text(get(bag, ['image_tag']));
  const name =
    text(get(bag, ['container_name'])) ?? (repo === undefined ? undefined : tag ? `${repo}:${tag}` : repo);
  const uid = text(get(bag, ['container_id', 'image_id']));
  return name === undefined && uid === undefined ? undefined : { type: 'Container', uid, name };
}

/** A cloud resource named by an ARN: its uid is the ARN, its type the entity's or the ARN's service. */
function cloudResource(bag: JsonObject, type: string | undefined): JsonObject | undefined {
  const arn = ['arn', 'resource_arn', 'resource_id', 'resource', 'id', 'uid']
    .map((name) => text(get(bag, [name])))
    .find((value) => value?.startsWith('arn:'));
  if (arn === undefined) {
    return undefined;
  }
  const parts = arn.split(':');
  const service = parts[2] || undefined;
  const region = parts[3] || undefined;
  return {
    type:
      text(get(bag, ['resource_type', 'type'])) ??
      type ??
      (service === undefined ? undefined : `aws:${service}`),
    uid: arn,
    name: parts.length > 5 ? parts.slice(5).join(':') || undefined : undefined,
    data: region === undefined ? undefined : { region },
  };
}

/** Lacework's `Resource` entity names a request parameter: `{name: "bucketName", value: "logs"}`. */
function namedResource(bag: JsonObject): JsonObject | undefined {
  const name = text(get(bag, ['name']));
  const value = text(get(bag, ['value']));
  return name === undefined || value === undefined ? undefined : { type: name, uid: value };
}

function plainUser(bag: JsonObject): JsonObject | undefined {
  const name = text(get(bag, ['username', 'user_name', 'name']));
  const uid = text(get(bag, ['uid', 'user_id', 'userid']));
  return name === undefined && uid === undefined ? undefined : { name, uid };
}

/** A CloudTrail principal: the uid is its ARN (or principal id), the account its AWS account. */
function cloudUser(bag: JsonObject): JsonObject | undefined {
  const name = text(get(bag, ['username', 'user_name', 'principal_id', 'principalid']));
  const uid = text(get(bag, ['arn', 'principal_id', 'principalid']));
  if (name === undefined && uid === undefined) {
    return undefined;
  }
  const accountId = text(get(bag, ['account_id', 'accountid', 'account']));
  return {
    name,
    uid,
    account: accountId === undefined ? undefined : { uid: accountId, type_id: 10, type: 'AWS Account' },
  };
}

function processOf(bag: JsonObject): JsonObject | undefined {
  const pid = integer(get(bag, ['pid', 'process_id']));
  if (pid === undefined) {
    return undefined;
  }
  const path = text(get(bag, ['exe_path', 'path']));
  const username = text(get(bag, ['username', 'user_name']));
  return {
    pid,
    name: text(get(bag, ['process_name', 'name'])) ?? baseName(path),
    path,
    cmd_line: text(get(bag, ['cmdline', 'cmd_line', 'command_line'])),
    created_time: epochMs(get(bag, ['process_start_time', 'start_time'])),
    user: username === undefined ? undefined : { name: username },
  };
}

function fileOf(bag: JsonObject, executable: boolean): JsonObject | undefined {
  const path = text(get(bag, ['exe_path', 'path', 'file_path']));
  const name = text(get(bag, ['file_name', 'name'])) ?? baseName(path);
  if (name === undefined) {
    return undefined;
  }
  return executable
    ? { name, path, type_id: 1, type: 'Regular File' }
    : { name, path, type_id: 0, type: 'Unknown' };
}

function endpointOf(bag: JsonObject, ipNames: string[], portNames: string[]): JsonObject | undefined {
  const ip = ipOf(get(bag, ipNames));
  return ip === undefined ? undefined : { ip, port: portOf(get(bag, portNames)) };
}

function dnsEndpoint(bag: JsonObject): JsonObject | undefined {
  const hostname = text(get(bag, ['hostname', 'dns_name', 'name']));
  return hostname === undefined ? undefined : { hostname, port: portOf(get(bag, PORT_NAMES)) };
}

function connectionOf(bag: JsonObject): JsonObject | undefined {
  const src = endpointOf(bag, ['src_ip_addr', 'src_ip', 'source_ip'], ['src_port', 'source_port']);
  const dst = endpointOf(bag, ['dst_ip_addr', 'dst_ip', 'destination_ip'], ['dst_port', 'destination_port']);
  return src === undefined && dst === undefined ? undefined : { src_endpoint: src, dst_endpoint: dst };
}

function apiOf(bag: JsonObject): JsonObject | undefined {
  const operation = text(get(bag, ['api', 'operation', 'event_name']));
  if (operation === undefined) {
    return undefined;
  }
  const service = text(get(bag, ['service', 'event_source']));
  return { operation, service: service === undefined ? undefined : { name: service } };
}

/** Key-value tags from an object of scalars, e.g. a machine's `{"Name": "worker-7"}`. */
function tagsOf(value: unknown): JsonObject[] | undefined {
  const object = asObject(value);
  if (object === undefined) {
    return undefined;
  }
  const tags: JsonObject[] = [];
  for (const [name, raw] of Object.entries(object)) {
    const tagValue = typeof raw === 'boolean' ? String(raw) : text(raw);
    if (tagValue !== undefined && tags.length < MAX_TAGS) {
      tags.push({ name, value: tagValue });
    }
  }
  return tags.length > 0 ? tags : undefined;
}

function ipOf(value: unknown): string | undefined {
  const ip = text(value)?.trim();
  return ip !== undefined && isIP(ip) !== 0 && ip.length <= 40 ? ip : undefined;
}

function portOf(value: unknown): number | undefined {
  for (const candidate of Array.isArray(value) ? value : [value]) {
    const port = integer(candidate);
    if (port !== undefined && port >= 0 && port <= 65535) {
      return port;
    }
  }
  return undefined;
}

function baseName(path: string | undefined): string | undefined {
  const name = path?.split(/[\\/]/).pop();
  return name === undefined || name === '' ? undefined : name;
}

/**
 * Epoch milliseconds from an RFC 3339 text or an epoch number (seconds, milliseconds, microseconds or nanoseconds,
 * told apart by size); undefined for empty, zero ("0" means never) or unreadable values.
 */
function epochMs(value: unknown): number | undefined {
  const raw = text(value)?.trim();
  if (raw === undefined) {
    return undefined;
  }
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(raw)) {
    ms = Number(raw);
    if (ms < 1e11) {
      ms *= 1e3;
    } else if (ms >= 1e17) {
      ms /= 1e6;
    } else if (ms >= 1e14) {
      ms /= 1e3;
    }
  } else {
    ms = Date.parse(raw);
  }
  ms = Math.trunc(ms);
  return Number.isFinite(ms) && ms > 0 && ms <= MAX_EPOCH_MS ? ms : undefined;
}

function integer(value: unknown): number | undefined {
  const raw = text(value)?.trim();
  if (raw === undefined || !/^-?\d+$/.test(raw)) {
    return undefined;
  }
  const number = Number(raw);
  return Number.isSafeInteger(number) ? number : undefined;
}

/** A non-blank string, or a finite number in decimal; undefined for anything else. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value.trim() === '' ? undefined : value;
  }
  if (typeof value === 'number' && Number.isFinite(value)) {
    return String(value);
  }
  return undefined;
}

function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

/** The first of `names` that `object` has (own keys only, exact spelling first, then any casing), not null. */
function get(object: JsonObject | undefined, names: readonly string[]): unknown {
  if (object === undefined) {
    return undefined;
  }
  for (const name of names) {
    if (Object.hasOwn(object, name) && object[name] !== null) {
      return object[name];
    }
  }
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  for (const key of Object.keys(object)) {
    if (wanted.has(key.toLowerCase()) && object[key] !== null) {
      return object[key];
    }
  }
  return undefined;
}
