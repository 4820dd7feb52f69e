import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { LeasedWorker } from '../common/worker/leased-worker';
import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain.errors';
import { decodeCursor, DEFAULT_PAGE_SIZE, Page, PageQueryDto, toPage } from '../common/pagination';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { IntegrationsService } from '../credentials/integrations.service';
import { MetricsService } from '../metrics/metrics.service';
import { SyncRunExecutor } from './sync-run.executor';
import { SyncRunRepository, SyncRunRow, SyncTrigger } from './sync-run.repository';
import { SyncRunView } from './sync-run.view';
import { backfillProblem, planWindow, splitWindow, TimeWindow } from './sync-window';

/** Starts sync runs (on schedule, by hand, as backfills), resumes abandoned ones, and reads their history. */
@Injectable()
export class SyncService implements OnApplicationShutdown {
  private readonly logger = new Logger(SyncService.name);
  private readonly active: LeasedWorker;

  constructor(
    private readonly runs: SyncRunRepository,
    private readonly executor: SyncRunExecutor,
    private readonly integrations: IntegrationsService,
    metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // A run's lease is its heartbeat: a run without one for a lease period is resumed by another replica.
    this.active = new LeasedWorker({
      worker: 'sync',
      leaseSeconds: config.leaseSeconds,
      held: () => this.active.keys(),
      renew: (ids) => this.runs.heartbeat(ids, config.workerId),
      release: (ids) => this.runs.release(ids, config.workerId),
      onRenewalFailure: (worker) => metrics.recordLeaseRenewalFailure(worker),
      logger: this.logger,
    });
  }

  /**
   * `POST /integrations/:id/sync`: starts a live run now, or reports the live run in progress (ConflictError with
   * its id). A backfill in progress does not stand in the way.
   */
  async startManual(integrationId: string): Promise<{ runId: string }> {
    return this.start(integrationId, 'manual', null);
  }

  async startBackfill(
    integrationId: string,
    since: Date,
    until: Date,
    refreshDocuments = false,
  ): Promise<{ runId: string }> {
    const problem = backfillProblem(since, until, new Date());
    if (problem !== null) {
      throw new InvalidInputError(problem.field, problem.reason);
    }
    return this.start(integrationId, 'backfill', { start: since, end: until }, refreshDocuments);
  }

  /** Starts a scheduled run for every enabled integration whose poll interval has passed. */
  async startDueRuns(): Promise<number> {
    if (this.active.stopping || !this.config.pollingEnabled) {
      return 0;
    }
    let started = 0;
    for (const id of await this.runs.claimDueIntegrations()) {
      try {
        await this.start(id, 'schedule', null);
        started += 1;
      } catch (error) {
        if (error instanceof ConflictError) {
          // A manual run took the live lane after the claim: stay due, so the poll follows when that run ends.
          await this.runs.releaseDuePoll(id);
        } else {
          this.logger.warn(`could not start a run for ${id}: ${(error as Error).message}`);
        }
      }
    }
    return started;
  }

  /** Resumes runs whose worker died (no heartbeat for a lease), from the last chunk they stored. */
  async resumeStaleRuns(): Promise<number> {
    if (this.active.stopping) {
      return 0;
    }
    const stale = await this.runs.claimStale(this.config.workerId, this.config.leaseSeconds);
    for (const run of stale) {
      this.logger.warn(
        `resuming run ${run.id} of integration ${run.integration_id} abandoned by another worker`,
      );
      this.launch(run);
    }
    return stale.length;
  }

  async getRun(id: string): Promise<SyncRunView> {
    const run = await this.runs.find(id);
    if (run === null) {
      throw new NotFoundError(`sync run ${id} not found`);
    }
    return SyncRunView.of(run, run.trigger === 'backfill' ? await this.runs.enrichmentProgress(id) : null);
  }

  async listRuns(integrationId: string, query: PageQueryDto): Promise<Page<SyncRunView>> {
    await this.integrations.find(integrationId);
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const before = decodeCursor(query.cursor, ['date', 'uuid']);
    const rows = await this.runs.listForIntegration(integrationId, limit + 1, before);
    return toPage(
      rows,
      limit,
      (r) => SyncRunView.of(r, null),
      (r) => [r.start_key ?? r.started_at.toISOString(), r.id],
    );
  }

  /** Resolves when every run started by this process has ended (tests, shutdown). */
  drain(): Promise<void> {
    return this.active.drain();
  }

  onApplicationShutdown(): Promise<void> {
    return this.active.shutdown();
  }

  private async start(
    integrationId: string,
    trigger: SyncTrigger,
    range: TimeWindow | null,
    refreshDocuments = false,
  ): Promise<{ runId: string }> {
    const integration = await this.integrations.find(integrationId);
    const now = new Date();
    const planned =
      range !== null
        ? { ...range, relist: false }
        : planWindow({
            now,
            cursor: integration.syncCursor,
            lastRelistAt: integration.lastRelistAt,
            initialLookbackHours: integration.initialLookbackHours,
            overlapMinutes: this.config.windowOverlapMinutes,
            relistMinutes: this.config.changeRelistMinutes,
          });
    const result = await this.runs.create({
      integrationId,
      trigger,
      windowStart: planned.start,
      windowEnd: planned.end,
      relist: planned.relist,
      chunksTotal: splitWindow(planned).length,
      workerId: this.config.workerId,
      refreshDocuments,
    });
    if (!result.created) {
      const what = trigger === 'backfill' ? 'a backfill' : 'a sync run';
      throw new ConflictError(`${what} is already in progress for integration ${integrationId}`, {
        runId: result.runningId,
      });
    }
    this.launch(result.run);
    return { runId: result.run.id };
  }

  private launch(run: SyncRunRow): void {
    const work = this.executor
      .execute(run)
      .catch((error: unknown) => this.logger.error({ err: error }, `run ${run.id} crashed`));
    void this.active.track(work, run.id);
  }
}
