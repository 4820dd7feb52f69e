import type { BatchLimits, OpenedDestination } from '../../src/delivery/senders/destination-sender';
import type { KindSettingsSpec } from '../../src/delivery/senders/kind-settings';

/**
 * A destination as the delivery worker opens it: the kind's settings spec applied to `input`, its settings through a
 * JSON round trip (as PostgreSQL's jsonb gives them back), and the kind's default batch unless `batch` says otherwise.
 */
export function openedDestination(
  spec: KindSettingsSpec,
  url: string,
  input: Record<string, unknown>,
  options: { id?: string; name?: string; batch?: Partial<BatchLimits> } = {},
): OpenedDestination {
  const parsed = spec.parse(input);
  return {
    id: options.id ?? 'dest-1',
    name: options.name ?? spec.kind,
    kind: spec.kind,
    format: 'document',
    url: spec.checkUrl(url),
    settings: JSON.parse(JSON.stringify(parsed.settings)) as Record<string, unknown>,
    credentials: parsed.credentials,
    secrets: [],
    headers: {},
    batch: { maxEvents: spec.batch.defaultMaxEvents, maxBytes: spec.batch.defaultMaxBytes, ...options.batch },
  };
}
