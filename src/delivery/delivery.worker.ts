import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { describeError } from '../common/describe-error';
import { LeasedWorker } from '../common/worker/leased-worker';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import {
  beginProbe,
  CircuitBreakerOptions,
  CircuitBreakerState,
  closedCircuit,
  mayAttempt,
  openCircuit,
  recordResult,
} from './circuit-breaker';
import { laceworkConsoleUrl } from './console-url';
import { BatchItemRecord, ClaimedDelivery, DeliveryRepository } from './delivery.repository';
import { applyAttempt, AttemptOutcome } from './delivery-state';
import { isHeldPause, refusedReason } from './destination-pause';
import { DestinationRepository, DestinationRow } from './destination.repository';
import { DestinationsService } from './destinations.service';
import { renderOcsfFinding } from './formats/ocsf.format';
import { renderBody, RenderInput } from './formats/render';
import { DestinationSenders } from './senders/destination-kinds';
import type {
  BatchAnswer,
  EventOutcome,
  OpenedDestination,
  OutgoingEvent,
} from './senders/destination-sender';
import { SEVERITY_ORDER } from '../enrichment/severity';

const DESTINATION_CACHE_MS = 1_000;
// Bytes a request adds around each event (envelope, action line, framing), for sizing batches before sending.
const EVENT_OVERHEAD_BYTES = 512;

/** Deliveries of one destination sent in one request. */
interface Batch {
  id: string;
  destinationId: string;
  leaseOwner: string;
  items: ClaimedDelivery[];
}

function severityWord(rank: number): string {
  return SEVERITY_ORDER[rank - 1] ?? 'Unknown';
}

/**
 * Sends due deliveries: claims them in PostgreSQL with a lease, groups each destination's into batches its kind
 * allows, sends each batch through the kind's sender, and writes every delivery's result back only while its claim
 * holds. Keeps a circuit breaker per destination: most requests failing for several minutes pauses it and a single
 * probe later closes it again; a destination that is gone or refuses our credentials stays paused until an operator
 * acts.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  /** Delivery id -> lease owner of every delivery in flight here. */
  private readonly inFlight = new Map<string, string>();
  /** Batch id -> destination id of every request in flight here, for the global and per-destination caps. */
  private readonly batches = new Map<string, string>();
  private readonly leases: LeasedWorker;
  private readonly breakers = new Map<string, CircuitBreakerState>();
  private readonly outcomeWrittenAt = new Map<string, number>();
  private cache: { at: number; rows: DestinationRow[]; opened: Map<string, OpenedDestination> } | null = null;
  private pumping = false;
  private pumpAgain = false;
  private readonly breakerOptions: CircuitBreakerOptions;

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly destinations: DestinationRepository,
    private readonly destinationsService: DestinationsService,
    private readonly senders: DestinationSenders,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.breakerOptions = {
      windowMs: config.circuitWindowMs,
      minRequests: config.circuitMinRequests,
      probeAfterMs: config.circuitProbeAfterMs,
    };
    this.leases = new LeasedWorker({
      worker: 'delivery',
      leaseSeconds: config.leaseSeconds,
      held: () => [...new Set(this.inFlight.values())],
      renew: (held) => this.deliveries.extendLeases(held, config.leaseSeconds),
      release: (held) => this.deliveries.release(held),
      onRenewalFailure: (worker) => metrics.recordLeaseRenewalFailure(worker),
      logger: this.logger,
    });
  }

  /** Claims and starts as many due deliveries as there are free slots; probes paused destinations when due. */
  async pump(): Promise<void> {
    if (this.leases.stopping) {
      return;
    }
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        await this.pumpOnce();
      } while (this.pumpAgain && !this.leases.stopping);
    } finally {
      this.pumping = false;
    }
  }

  /** Resolves when nothing is in flight in this process (tests, shutdown). */
  drain(): Promise<void> {
    return this.leases.drain();
  }

  onApplicationShutdown(): Promise<void> {
    return this.leases.shutdown();
  }

  private async pumpOnce(): Promise<void> {
    this.leases.ensureRenewal();
    const { rows, opened } = await this.loadDestinations();
    for (const row of rows.filter((r) => r.paused_reason !== null)) {
      await this.probeWhenDue(row, opened);
    }
    const free = this.config.deliveryConcurrency - this.batches.size;
    if (free <= 0) {
      return;
    }
    const active = rows.filter((r) => r.paused_reason === null && this.freeSlotsOf(r.id) > 0);
    const slots = active.map((r) => ({
      destinationId: r.id,
      free: Math.min(this.freeSlotsOf(r.id), free) * r.batch_max_events,
    }));
    const widest = Math.max(1, ...active.map((r) => r.batch_max_events));
    const owner = `${this.config.workerId}:${randomUUID()}`;
    const claimed = await this.deliveries.claimDue(slots, free * widest, owner, this.config.leaseSeconds);
    this.startBatches(claimed, opened, free);
  }

  /** Groups claimed deliveries into requests, most severe first; gives back what the free slots cannot take now. */
  private startBatches(
    claimed: ClaimedDelivery[],
    opened: Map<string, OpenedDestination>,
    free: number,
  ): void {
    const byDestination = new Map<string, ClaimedDelivery[]>();
    for (const delivery of [...claimed].sort((a, b) => a.severity_rank - b.severity_rank)) {
      const list = byDestination.get(delivery.destination_id) ?? [];
      list.push(delivery);
      byDestination.set(delivery.destination_id, list);
    }
    const batches: Batch[] = [];
    for (const [destinationId, items] of byDestination) {
      const limits = opened.get(destinationId)?.batch ?? { maxEvents: 1, maxBytes: 1 };
      let current: ClaimedDelivery[] = [];
      let bytes = 0;
      for (const item of items) {
        const size = Buffer.byteLength(item.document, 'utf8') + EVENT_OVERHEAD_BYTES;
        if (current.length > 0 && (current.length >= limits.maxEvents || bytes + size > limits.maxBytes)) {
          batches.push({ id: randomUUID(), destinationId, leaseOwner: item.lease_owner, items: current });
          current = [];
          bytes = 0;
        }
        current.push(item);
        bytes += size;
      }
      if (current.length > 0) {
        batches.push({ id: randomUUID(), destinationId, leaseOwner: current[0].lease_owner, items: current });
      }
    }
    batches.sort((a, b) => a.items[0].severity_rank - b.items[0].severity_rank);
    const leftOver: ClaimedDelivery[] = [];
    let started = 0;
    for (const batch of batches) {
      // A started batch holds its destination's slot at once (freeSlotsOf counts it).
      if (started >= free || this.freeSlotsOf(batch.destinationId) <= 0) {
        leftOver.push(...batch.items);
        continue;
      }
      started += 1;
      this.start(batch, opened, null);
    }
    if (leftOver.length > 0) {
      // Unreleased, they come back when their lease ends; a failure here must not end the process.
      this.deliveries
        .releaseIds(
          leftOver.map((d) => d.id),
          leftOver[0].lease_owner,
        )
        .catch((error: unknown) =>
          this.logger.warn(
            `giving back ${leftOver.length} claimed deliveries failed: ${describeError(error)}`,
          ),
        );
    }
  }

  /** Pumps without waiting; a failure (the database away, say) is logged and the next tick tries again. */
  kick(): void {
    this.pump().catch((error: unknown) => this.logger.warn(`delivery pump failed: ${describeError(error)}`));
  }

  /** Sends one probe to a paused destination once its breaker allows it; one worker across replicas wins it. */
  private async probeWhenDue(row: DestinationRow, opened: Map<string, OpenedDestination>): Promise<void> {
    if (isHeldPause(row.paused_reason) || this.freeSlotsOf(row.id) <= 0) {
      return;
    }
    const now = Date.now();
    if (mayAttempt(row.circuit, now, this.breakerOptions) !== 'probe') {
      return;
    }
    const probing = beginProbe(row.circuit, now);
    if (!(await this.destinations.claimProbe(row.id, row.circuit, probing))) {
      return;
    }
    this.invalidateCache();
    const owner = `${this.config.workerId}:${randomUUID()}`;
    const slot = [{ destinationId: row.id, free: 1 }];
    const [probe] = await this.deliveries.claimDue(slot, 1, owner, this.config.leaseSeconds, true);
    if (probe) {
      this.start(
        { id: randomUUID(), destinationId: row.id, leaseOwner: owner, items: [probe] },
        opened,
        probing,
      );
    }
  }

  /** Requests this destination may still have in flight in this process. */
  private freeSlotsOf(destinationId: string): number {
    let held = 0;
    for (const destination of this.batches.values()) {
      if (destination === destinationId) {
        held += 1;
      }
    }
    return this.config.deliveryConcurrencyPerDestination - held;
  }

  private start(
    batch: Batch,
    opened: Map<string, OpenedDestination>,
    probe: CircuitBreakerState | null,
  ): void {
    for (const item of batch.items) {
      this.inFlight.set(item.id, item.lease_owner);
    }
    this.batches.set(batch.id, batch.destinationId);
    const work = this.deliver(batch, opened, probe)
      .catch((error: unknown) =>
        this.logger.error(
          { err: error },
          `batch of ${batch.items.length} to ${batch.destinationId} failed unexpectedly`,
        ),
      )
      .finally(() => {
        for (const item of batch.items) {
          this.inFlight.delete(item.id);
        }
        this.batches.delete(batch.id);
        void this.pump().catch(() => undefined);
      });
    void this.leases.track(work);
  }

  private async deliver(
    batch: Batch,
    opened: Map<string, OpenedDestination>,
    probe: CircuitBreakerState | null,
  ): Promise<void> {
    const destination = opened.get(batch.destinationId);
    if (destination === undefined) {
      await this.deliveries.releaseIds(
        batch.items.map((d) => d.id),
        batch.leaseOwner,
      );
      return;
    }
    const { events, unrendered } = this.render(destination, batch.items);
    const sent = events.length === 0 ? null : await this.send(destination, events);
    const outcomes = new Map<string, EventOutcome>(unrendered);
    events.forEach((event, i) => outcomes.set(event.deliveryId, sent?.outcomes[i] ?? { kind: 'not_sent' }));
    const nowMs = Date.now();
    const records: BatchItemRecord[] = [];
    const reported: string[] = [];
    for (const item of batch.items) {
      const outcome = toAttemptOutcome(outcomes.get(item.id) ?? { kind: 'not_sent' }, sent);
      const result = applyAttempt({ state: item.state, attempts: item.attempts }, outcome, {
        nowMs,
        scale: this.config.deliveryRetryScale,
        lastError: item.last_error,
      });
      const attempted = outcome.kind !== 'not_sent' && outcome.kind !== 'paused' && outcome.kind !== 'gone';
      records.push({
        id: item.id,
        state: result.state,
        attempts: result.attempts,
        nextAttemptAt: result.nextAttemptAtMs === null ? null : new Date(result.nextAttemptAtMs),
        error: result.lastError,
        attempted,
      });
      if (attempted) {
        reported.push(
          result.state === 'delivered' ? 'delivered' : result.state === 'dead' ? 'dead' : 'failed',
        );
      }
    }
    // The circuit counts requests: one that the destination answered for every event is a success, even if it
    // refused some events as invalid; a retryable failure of any event counts against it.
    const ok = sent !== null && sent.pause === null && !sent.outcomes.some((o) => o.kind === 'retry');
    if (sent !== null) {
      // Updated before the deliveries are released, so a paused destination gets no further attempt.
      await this.updateCircuit(destination.id, sent, ok, probe);
    }
    await this.deliveries.recordBatch(
      batch.leaseOwner,
      records,
      sent?.status ?? null,
      sent?.latencyMs ?? 0,
      this.config.workerId,
    );
    if (sent !== null) {
      await this.recordDestinationOutcome(destination.id, ok, ok ? null : sent.summary);
    }
    for (const outcome of reported) {
      this.metrics.recordDeliveryAttempt(
        destination.id,
        outcome as 'delivered' | 'dead' | 'failed',
        sent?.latencyMs ?? 0,
      );
    }
    if (sent?.pause?.gone === true) {
      this.metrics.recordDeliveryAttempt(destination.id, 'gone', sent.latencyMs);
    }
  }

  /** Renders each delivery in the destination's format; one that cannot be rendered is rejected alone. */
  private render(
    destination: OpenedDestination,
    items: readonly ClaimedDelivery[],
  ): { events: OutgoingEvent[]; unrendered: [string, EventOutcome][] } {
    const events: OutgoingEvent[] = [];
    const unrendered: [string, EventOutcome][] = [];
    for (const item of items) {
      const consoleUrl = laceworkConsoleUrl(item.organization_url, item.alert_id, item.sub_account);
      const input: RenderInput = {
        document: item.document,
        deliveryId: item.id,
        integrationId: item.integration_id,
        alertId: item.alert_id,
        version: item.version,
        consoleUrl,
      };
      try {
        events.push({
          deliveryId: item.id,
          webhookId: item.webhook_id,
          integrationId: item.integration_id,
          alertId: item.alert_id,
          version: item.version,
          severity: severityWord(item.severity_rank),
          timeMs: new Date(item.start_time).getTime(),
          body: renderBody(destination.kind, destination.format, input, renderOcsfFinding),
          consoleUrl,
        });
      } catch (error) {
        unrendered.push([
          item.id,
          { kind: 'rejected', error: `cannot render as ${destination.format}: ${(error as Error).message}` },
        ]);
      }
    }
    return { events, unrendered };
  }

  /** The kind's sender; a sender that throws (it must not) counts as a retryable failure of the whole batch. */
  private async send(destination: OpenedDestination, events: OutgoingEvent[]): Promise<BatchAnswer> {
    try {
      return await this.senders.of(destination.kind).sendBatch(destination, events);
    } catch (error) {
      this.logger.error({ err: error }, `the ${destination.kind} sender failed unexpectedly`);
      const outcome: EventOutcome = { kind: 'retry', error: 'internal error while sending' };
      return {
        status: null,
        latencyMs: 0,
        outcomes: events.map(() => outcome),
        pause: null,
        summary: outcome.error,
      };
    }
  }

  private async updateCircuit(
    destinationId: string,
    answer: BatchAnswer,
    ok: boolean,
    probe: CircuitBreakerState | null,
  ): Promise<void> {
    const now = Date.now();
    if (answer.pause !== null) {
      const opened = openCircuit(this.breakers.get(destinationId) ?? closedCircuit(), now);
      this.breakers.set(destinationId, opened);
      const reason = answer.pause.gone === true ? answer.pause.reason : refusedReason(answer.pause.reason);
      await this.destinations.pause(destinationId, reason, opened);
      this.invalidateCache();
      this.logger.warn(`destination ${destinationId} paused until an operator acts: ${answer.pause.reason}`);
      return;
    }
    if (probe !== null) {
      // The probe's result decides, as the breaker defines it: closed on success, open again from now on failure.
      const after = recordResult(probe, ok, now, this.breakerOptions);
      this.breakers.set(destinationId, after.state === 'closed' ? after : closedCircuit());
      if (after.state === 'closed') {
        await this.destinations.closeCircuit(destinationId, after);
        this.logger.log(`destination ${destinationId} answered the probe: circuit closed`);
      } else {
        await this.destinations.pause(destinationId, 'failing: the probe failed too', after);
      }
      this.invalidateCache();
      return;
    }
    const before = this.breakers.get(destinationId) ?? closedCircuit();
    const after = recordResult(before, ok, now, this.breakerOptions);
    this.breakers.set(destinationId, after.state === 'closed' ? after : closedCircuit());
    if (before.state === 'closed' && after.state === 'open') {
      await this.destinations.pause(
        destinationId,
        'failing: most requests failed recently; a probe will retry it',
        after,
      );
      this.invalidateCache();
      this.logger.warn(`destination ${destinationId} is failing most requests: circuit opened`);
    }
  }

  /** Keeps a destination's last success and last error, written at most once a second per destination. */
  private async recordDestinationOutcome(
    destinationId: string,
    ok: boolean,
    error: string | null,
  ): Promise<void> {
    const key = `${destinationId}:${ok}`;
    const last = this.outcomeWrittenAt.get(key) ?? 0;
    if (Date.now() - last < 1_000) {
      return;
    }
    this.outcomeWrittenAt.set(key, Date.now());
    await this.destinations.recordOutcome(destinationId, ok, error);
  }

  private async loadDestinations(): Promise<{
    rows: DestinationRow[];
    opened: Map<string, OpenedDestination>;
  }> {
    if (this.cache && Date.now() - this.cache.at < DESTINATION_CACHE_MS) {
      return this.cache;
    }
    const rows = await this.destinations.listEnabled();
    const opened = new Map(rows.map((r) => [r.id, this.destinationsService.open(r)]));
    this.cache = { at: Date.now(), rows, opened };
    return this.cache;
  }

  private invalidateCache(): void {
    this.cache = null;
  }
}

/** What the state machine makes of a sender's outcome for one event. */
function toAttemptOutcome(outcome: EventOutcome, answer: BatchAnswer | null): AttemptOutcome {
  if (answer !== null && answer.pause !== null && outcome.kind === 'not_sent') {
    return answer.pause.gone === true ? { kind: 'gone' } : { kind: 'paused', message: answer.pause.reason };
  }
  switch (outcome.kind) {
    case 'delivered': {
      // Some events of a batch may be taken while the request as a whole answered otherwise (Splunk's 400).
      const status = answer?.status ?? null;
      return { kind: 'success', status: status !== null && status >= 200 && status <= 299 ? status : 200 };
    }
    case 'retry':
      return { kind: 'failed', message: outcome.error, retryAfterMs: outcome.retryAfterMs ?? null };
    case 'rejected':
      return { kind: 'rejected', message: outcome.error };
    case 'not_sent':
      return { kind: 'not_sent' };
  }
}
