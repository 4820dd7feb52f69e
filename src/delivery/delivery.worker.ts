import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
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
import { ClaimedDelivery, DeliveryRepository } from './delivery.repository';
import { applyAttempt, AttemptOutcome, outcomeFromStatus } from './delivery-state';
import { DestinationRepository, DestinationRow } from './destination.repository';
import { DestinationsService, OpenedDestination } from './destinations.service';
import { WebhookSender } from './senders/webhook.sender';

const DESTINATION_CACHE_MS = 1_000;
// A destination that answered 410 is never probed: only an operator resumes it.
const GONE_PAUSE = 'gone';

function isGonePause(reason: string | null): boolean {
  return reason !== null && reason.startsWith(GONE_PAUSE);
}

/**
 * Sends due deliveries: claims them in PostgreSQL with a lease, posts each signed document, and writes the result
 * back only while its claim holds. Keeps a circuit breaker per destination: a 410, or most requests failing for
 * several minutes, pauses the destination; a single probe later closes it again.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly inFlight = new Map<string, string>();
  /** Delivery id -> destination id of every delivery in flight here, for the per-destination cap. */
  private readonly slotHolders = new Map<string, string>();
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
    private readonly sender: WebhookSender,
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
    const free = this.config.deliveryConcurrency - this.inFlight.size;
    const slots = rows
      .filter((r) => r.paused_reason === null)
      .map((r) => ({ destinationId: r.id, free: this.freeSlotsOf(r.id) }));
    if (free <= 0) {
      return;
    }
    const owner = `${this.config.workerId}:${randomUUID()}`;
    const claimed = await this.deliveries.claimDue(slots, free, owner, this.config.leaseSeconds);
    for (const delivery of claimed) {
      this.start(delivery, opened, null);
    }
  }

  /** Sends one probe to a paused destination once its breaker allows it; one worker across replicas wins it. */
  private async probeWhenDue(row: DestinationRow, opened: Map<string, OpenedDestination>): Promise<void> {
    if (isGonePause(row.paused_reason) || this.freeSlotsOf(row.id) <= 0) {
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
      this.start(probe, opened, probing);
    }
  }

  /** Slots this destination may still take in this process. */
  private freeSlotsOf(destinationId: string): number {
    let held = 0;
    for (const destination of this.slotHolders.values()) {
      if (destination === destinationId) {
        held += 1;
      }
    }
    return this.config.deliveryConcurrencyPerDestination - held;
  }

  private start(
    delivery: ClaimedDelivery,
    opened: Map<string, OpenedDestination>,
    probe: CircuitBreakerState | null,
  ): void {
    this.inFlight.set(delivery.id, delivery.lease_owner);
    this.slotHolders.set(delivery.id, delivery.destination_id);
    const work = this.deliver(delivery, opened, probe)
      .catch((error: unknown) =>
        this.logger.error({ err: error }, `delivery ${delivery.id} failed unexpectedly`),
      )
      .finally(() => {
        this.inFlight.delete(delivery.id);
        this.slotHolders.delete(delivery.id);
        void this.pump().catch(() => undefined);
      });
    void this.leases.track(work);
  }

  private async deliver(
    delivery: ClaimedDelivery,
    opened: Map<string, OpenedDestination>,
    probe: CircuitBreakerState | null,
  ): Promise<void> {
    const destination = opened.get(delivery.destination_id);
    if (destination === undefined) {
      await this.deliveries.release([delivery.lease_owner]);
      return;
    }
    const answer = await this.sender.send({
      url: destination.url,
      webhookId: delivery.webhook_id,
      body: delivery.document,
      secrets: destination.secrets,
      headers: {
        ...destination.headers,
        'x-lacework-alert-id': delivery.alert_id,
        'x-alert-version': String(delivery.version),
        'x-integration-id': delivery.integration_id,
        'x-lacework-console-url': laceworkConsoleUrl(
          delivery.organization_url,
          delivery.alert_id,
          delivery.sub_account,
        ),
      },
    });
    const outcome: AttemptOutcome =
      answer.status === null
        ? { kind: 'network_error', message: answer.error ?? 'network error' }
        : outcomeFromStatus(answer.status, answer.retryAfterMs);
    const result = applyAttempt({ state: delivery.state, attempts: delivery.attempts }, outcome, {
      nowMs: Date.now(),
      scale: this.config.deliveryRetryScale,
    });
    const ok = outcome.kind === 'success';
    // The circuit is updated before the delivery is released, so a paused destination gets no further attempt.
    await this.updateCircuit(destination.id, outcome, ok, probe);
    await this.deliveries.recordAttempt(delivery, {
      state: result.state,
      attempts: result.attempts,
      nextAttemptAt: result.nextAttemptAtMs === null ? null : new Date(result.nextAttemptAtMs),
      status: answer.status,
      error: result.lastError,
      latencyMs: answer.latencyMs,
      workerId: this.config.workerId,
    });
    await this.recordDestinationOutcome(destination.id, ok, result.lastError);
    const reported =
      outcome.kind === 'gone' ? 'gone' : ok ? 'delivered' : result.state === 'dead' ? 'dead' : 'failed';
    this.metrics.recordDeliveryAttempt(destination.id, reported, answer.latencyMs);
  }

  private async updateCircuit(
    destinationId: string,
    outcome: AttemptOutcome,
    ok: boolean,
    probe: CircuitBreakerState | null,
  ): Promise<void> {
    const now = Date.now();
    if (outcome.kind === 'gone') {
      const opened = openCircuit(this.breakers.get(destinationId) ?? closedCircuit(), now);
      this.breakers.set(destinationId, opened);
      await this.destinations.pause(
        destinationId,
        `${GONE_PAUSE}: the destination answered 410 Gone; resume it by hand`,
        opened,
      );
      this.invalidateCache();
      this.logger.warn(`destination ${destinationId} answered 410 Gone: paused until resumed`);
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
