import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Page, PageQueryDto } from '../common/pagination';
import { uuidParam } from '../common/uuid-param.pipe';
import { BackfillDto } from './dto/backfill.dto';
import { SyncService } from './sync.service';
import { SyncRunView } from './sync-run.view';

@ApiTags('sync')
@ApiBearerAuth()
@Controller()
export class SyncRunsController {
  constructor(private readonly sync: SyncService) {}

  /** Starts a run now: 202 with its id, or 409 with the id of the run in progress. */
  @Post('integrations/:id/sync')
  @HttpCode(202)
  startSync(@Param('id', uuidParam()) id: string): Promise<{ runId: string }> {
    return this.sync.startManual(id);
  }

  /** Lists a past range (within Lacework's ~90 days) and enriches it behind live alerts. */
  @Post('integrations/:id/backfill')
  @HttpCode(202)
  backfill(@Param('id', uuidParam()) id: string, @Body() dto: BackfillDto): Promise<{ runId: string }> {
    return this.sync.startBackfill(
      id,
      new Date(dto.since),
      new Date(dto.until),
      dto.refreshDocuments === true,
    );
  }

  @Get('integrations/:id/sync-runs')
  listRuns(@Param('id', uuidParam()) id: string, @Query() query: PageQueryDto): Promise<Page<SyncRunView>> {
    return this.sync.listRuns(id, query);
  }

  @Get('sync-runs/:id')
  getRun(@Param('id', uuidParam()) id: string): Promise<SyncRunView> {
    return this.sync.getRun(id);
  }
}
