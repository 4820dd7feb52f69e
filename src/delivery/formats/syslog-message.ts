/** RFC 5424 syslog messages and their RFC 5425 (TLS) octet-counted frames. Pure functions. */

/** The facilities of RFC 5424 §6.2.1, by their usual names. */
export const SYSLOG_FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type SyslogFacilityName = keyof typeof SYSLOG_FACILITIES;

/** The SD-ID of our structured data element (PEN 32473 is the one RFC 5612 reserves for documentation). */
export const LACEWORK_SD_ID = 'lacework@32473';

export const NILVALUE = '-';

/** Longest header fields RFC 5424 allows, in characters of printable US-ASCII. */
export const HEADER_LIMITS = { hostname: 255, appName: 48, procId: 128, msgId: 32 } as const;

/** The header fields that do not change from one event to the next. */
export interface SyslogHeader {
  /** 0 (kern) to 23 (local7). */
  facility: number;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
}

/** What a message says about its event. */
export interface SyslogEvent {
  alertId: string;
  severity: string;
  version: number;
  deliveryId: string;
  timeMs: number;
  body: string;
}

const SEVERITY_BY_WORD: Readonly<Record<string, number>> = {
  critical: 2,
  high: 3,
  medium: 4,
  low: 5,
  info: 6,
};
// Lacework also numbers its severities 1 (Critical) to 5 (Info).
const SEVERITY_BY_NUMBER: Readonly<Record<string, number>> = { '1': 2, '2': 3, '3': 4, '4': 5, '5': 6 };
/** An unknown severity is sent as notice: visible, but not raised above what Lacework said. */
const UNKNOWN_SEVERITY = 5;

/** The syslog severity (2 crit … 6 info) for Lacework's word. */
export function syslogSeverity(laceworkSeverity: string): number {
  const key = laceworkSeverity.trim().toLowerCase();
  return SEVERITY_BY_WORD[key] ?? SEVERITY_BY_NUMBER[key] ?? UNKNOWN_SEVERITY;
}

/** PRI = facility × 8 + severity (0–191). */
export function syslogPriority(facility: number, severity: number): number {
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) {
    throw new RangeError(`syslog facility must be 0 to 23, not ${facility}`);
  }
  if (!Number.isInteger(severity) || severity < 0 || severity > 7) {
    throw new RangeError(`syslog severity must be 0 to 7, not ${severity}`);
  }
  return facility * 8 + severity;
}

/** The facility number for a name (kern … local7) or a number 0–23, or null. */
export function syslogFacility(value: unknown): number | null {
  if (typeof value === 'number') {
    return Number.isInteger(value) && value >= 0 && value <= 23 ? value : null;
  }
  if (typeof value === 'string') {
    const key = value.trim().toLowerCase();
    if (/^\d{1,2}$/.test(key)) {
      return syslogFacility(Number(key));
    }
    return Object.hasOwn(SYSLOG_FACILITIES, key) ? SYSLOG_FACILITIES[key as SyslogFacilityName] : null;
  }
  return null;
}

/** RFC 3339 in UTC with milliseconds, or NILVALUE when the time cannot be written that way. */
export function syslogTimestamp(timeMs: number): string {
  const date = new Date(timeMs);
  const year = date.getUTCFullYear();
  if (!Number.isFinite(timeMs) || Number.isNaN(year) || year < 0 || year > 9999) {
    return NILVALUE;
  }
  return date.toISOString();
}

/**
 * A header field as RFC 5424 allows it: printable US-ASCII only (anything else becomes `_`), cut at `max`
 * characters, NILVALUE when empty.
 */
export function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return printable === '' ? NILVALUE : printable;
}

/** A PARAM-VALUE with `"`, `\` and `]` escaped (RFC 5424 §6.3.3). */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** Our SD-ELEMENT: which alert version, how severe, which delivery. */
export function structuredData(event: SyslogEvent): string {
  const params: [string, string][] = [
    ['alertId', event.alertId],
    ['severity', event.severity],
    ['version', String(event.version)],
    ['deliveryId', event.deliveryId],
  ];
  return `[${LACEWORK_SD_ID} ${params.map(([name, value]) => `${name}="${escapeParamValue(value)}"`).join(' ')}]`;
}

/** One RFC 5424 message; its MSG is the event's body exactly, without a BOM. */
export function buildSyslogMessage(header: SyslogHeader, event: SyslogEvent): string {
  const pri = syslogPriority(header.facility, syslogSeverity(event.severity));
  return [
    `<${pri}>1`,
    syslogTimestamp(event.timeMs),
    headerField(header.hostname, HEADER_LIMITS.hostname),
    headerField(header.appName, HEADER_LIMITS.appName),
    headerField(header.procId, HEADER_LIMITS.procId),
    headerField(header.msgId, HEADER_LIMITS.msgId),
    structuredData(event),
    event.body,
  ].join(' ');
}

/** The RFC 5425 frame: the message's length in octets (UTF-8 bytes, not characters), a space, the message. */
export function frameSyslogMessage(message: string): Buffer {
  const bytes = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${bytes.length} `, 'ascii'), bytes]);
}
