import { BACKFILL_PRIORITY_OFFSET } from '../lacework/call-context';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { IntegrationsService } from '../credentials/integrations.service';
import { AlertIntakeService } from '../enrichment/alert-intake.service';
import { runWithCallContext } from '../lacework/call-context';
import { LaceworkCallRepository } from '../lacework/lacework-call.repository';
import { LaceworkClient } from '../lacework/lacework.client';
import { NotFoundError } from '../common/domain.errors';
import { classifySyncError } from './sync-error';
import { SyncRunRepository, SyncRunRow } from './sync-run.repository';
import { intakeHorizon, splitWindow } from './sync-window';

/** Thrown inside a run when another worker has taken it over; the run is left to that worker. */
class RunTakenOver extends Error {}

/**
 * Budget priority of a backfill's listing: after live listing (0) and live scopes (severity ranks 1 to 6), so a
 * backfill spends only what live polling leaves.
 */
const BACKFILL_LISTING_PRIORITY = BACKFILL_PRIORITY_OFFSET;

/**
 * Lists one run's window chunk by chunk, page by page, storing each page before asking for the next. The cursor
 * moves only when the whole window is stored (in the same transaction that ends the run).
 */
@Injectable()
export class SyncRunExecutor {
  private readonly logger = new Logger(SyncRunExecutor.name);

  constructor(
    private readonly runs: SyncRunRepository,
    private readonly integrations: IntegrationsService,
    private readonly lacework: LaceworkClient,
    private readonly intake: AlertIntakeService,
    private readonly calls: LaceworkCallRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Runs (or resumes) a run to its end. Never throws: failures end the run with an error class. */
  async execute(run: SyncRunRow): Promise<void> {
    const workerId = this.config.workerId;
    let status: 'succeeded' | 'failed' = 'succeeded';
    let failure: ReturnType<typeof classifySyncError> | null = null;
    try {
      const priority = run.trigger === 'backfill' ? BACKFILL_LISTING_PRIORITY : 0;
      await runWithCallContext({ runId: run.id, priority }, () => this.listWindow(run, workerId));
    } catch (error) {
      if (error instanceof RunTakenOver) {
        this.logger.warn(`run ${run.id} was taken over by another worker`);
        return;
      }
      status = 'failed';
      failure =
        error instanceof NotFoundError
          ? { errorClass: 'internal', message: 'the integration was deleted during the run' }
          : classifySyncError(error);
      if (failure.errorClass === 'internal' && !(error instanceof NotFoundError)) {
        this.logger.error({ err: error }, `run ${run.id} failed`);
      }
    }
    const apiCalls = await this.calls.countByRun(run.id);
    const rateLimited = Object.values(apiCalls).reduce(
      (sum, byOutcome) => sum + (byOutcome.rate_limited ?? 0),
      0,
    );
    await this.runs.finish(run, workerId, {
      status,
      errorClass: failure?.errorClass ?? null,
      errorMessage: failure?.message ?? null,
      apiCalls,
      rateLimited,
    });
    this.logger.log(
      `run ${run.id} (${run.trigger}) for integration ${run.integration_id}: ${status}` +
        (failure ? ` [${failure.errorClass}] ${failure.message}` : ''),
    );
  }

  private async listWindow(run: SyncRunRow, workerId: string): Promise<void> {
    const integration = await this.integrations.find(run.integration_id);
    const connection = this.integrations.connectionFor(integration);
    const filter = {
      minSeverity: integration.minSeverity,
      includeAlertTypes: integration.includeAlertTypes,
      excludeAlertTypes: integration.excludeAlertTypes,
    };
    const backfill = run.trigger === 'backfill';
    const horizon = intakeHorizon({ backfill, windowStart: run.window_start }, integration);
    const start = run.progress_at ?? run.window_start;
    for (const chunk of splitWindow({ start, end: run.window_end })) {
      for await (const page of this.lacework.listAlerts(connection, chunk)) {
        const counts = await this.intake.recordPage(
          run.integration_id,
          run.id,
          backfill,
          filter,
          horizon,
          page.alerts,
          run.refresh_documents,
        );
        if (!(await this.runs.recordPage(run.id, workerId, counts))) {
          throw new RunTakenOver();
        }
      }
      if (!(await this.runs.recordChunk(run.id, workerId, chunk.end))) {
        throw new RunTakenOver();
      }
    }
  }
}
