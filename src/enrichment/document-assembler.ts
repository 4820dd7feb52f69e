import { createHash } from 'node:crypto';
import { ScopeName } from '../lacework/lacework.types';

/** Key of each scope in the assembled document, in the order Red Canary's integration writes them. */
export const SCOPE_KEYS: Record<ScopeName, string> = {
  Details: 'scopeDetails',
  Investigation: 'scopeInvestigation',
  Events: 'scopeEvents',
  RelatedAlerts: 'scopeRelatedAlerts',
  Integrations: 'scopeIntegrations',
  Timeline: 'scopeTimeline',
  ObservationTimeline: 'scopeObservationTimeline',
};

/**
 * Builds the one document of an alert version as text: the list record's own fields, then one key per scope of
 * `scopes` (in that order) with that scope's `data` verbatim (`null` when it answered 404, is not supported for the
 * alert, or failed for good). Works on JSON text, never on parsed numbers, so integers beyond 2^53 keep every digit.
 */
export function assembleDocument(
  listRecordJson: string,
  scopes: readonly ScopeName[],
  scopeData: Partial<Record<ScopeName, string | null>>,
): string {
  const record = listRecordJson.trim();
  if (!record.startsWith('{') || !record.endsWith('}')) {
    throw new Error('list record is not a JSON object');
  }
  const inner = record.slice(1, -1).trim();
  const members = scopes.map((scope) => `${JSON.stringify(SCOPE_KEYS[scope])}:${scopeData[scope] ?? 'null'}`);
  return `{${inner === '' ? '' : `${inner},`}${members.join(',')}}`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
