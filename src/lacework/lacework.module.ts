import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { currentCallContext } from './call-context';
import { LaceworkCallRepository } from './lacework-call.repository';
import { LaceworkClient } from './lacework.client';
import { RequestBudgetRepository } from './request-budget.repository';
import { RequestBudgetService } from './request-budget.service';
import { LaceworkCallEvents } from './lacework-call.events';

/** The only door to Lacework: one client per process, its budget shared with every replica through PostgreSQL. */
@Module({
  providers: [
    RequestBudgetRepository,
    RequestBudgetService,
    LaceworkCallRepository,
    LaceworkCallEvents,
    {
      provide: LaceworkClient,
      inject: [APP_CONFIG, RequestBudgetService, LaceworkCallRepository, LaceworkCallEvents],
      useFactory: (
        config: AppConfig,
        budget: RequestBudgetService,
        calls: LaceworkCallRepository,
        events: LaceworkCallEvents,
      ): LaceworkClient =>
        new LaceworkClient({
          budget,
          timeoutMs: config.laceworkTimeoutMs,
          extraAllowedHosts: config.laceworkExtraAllowedHosts,
          backoffBaseMs: config.laceworkRetryBaseMs,
          maxAttempts: config.laceworkMaxAttempts,
          maxPages: config.laceworkMaxPages,
          onCall: (event) => {
            calls.record({ ...event, runId: currentCallContext()?.runId ?? null });
            events.emit(event);
          },
        }),
    },
  ],
  exports: [LaceworkClient, RequestBudgetService, LaceworkCallRepository, LaceworkCallEvents],
})
export class LaceworkModule {}
