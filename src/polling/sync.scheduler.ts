import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryWorker } from '../delivery/delivery.worker';
import { EnrichmentWorker } from '../enrichment/enrichment.worker';
import { RequestBudgetService } from '../lacework/request-budget.service';
import { RetentionPruner } from '../retention/retention.pruner';
import { SyncService } from './sync.service';

const TICK = 'sync-tick';

/** The clock of the service: on every tick it only delegates to the services that do the work. */
@Injectable()
export class SyncScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SyncScheduler.name);
  private ticking = false;
  private ticks = 0;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly sync: SyncService,
    private readonly enrichment: EnrichmentWorker,
    private readonly delivery: DeliveryWorker,
    private readonly budget: RequestBudgetService,
    private readonly retention: RetentionPruner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.schedulerEnabled) {
      this.registry.addInterval(
        TICK,
        setInterval(() => void this.tick(), this.config.schedulerTickMs),
      );
    }
  }

  onApplicationShutdown(): void {
    if (this.registry.doesExist('interval', TICK)) {
      this.registry.deleteInterval(TICK);
    }
  }

  async tick(): Promise<void> {
    if (this.ticking) {
      return;
    }
    this.ticking = true;
    this.ticks += 1;
    try {
      const results = await Promise.allSettled([
        this.sync.resumeStaleRuns(),
        this.sync.startDueRuns(),
        this.enrichment.pumpAll(),
        this.delivery.pump(),
        this.ticks % 100 === 0 ? this.budget.prune() : Promise.resolve(0),
        this.retention.pruneIfDue(),
      ]);
      for (const result of results) {
        if (result.status === 'rejected') {
          this.logger.warn(`tick: ${(result.reason as Error).message}`);
        }
      }
    } finally {
      this.ticking = false;
    }
  }
}
