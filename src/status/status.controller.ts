import { Controller, Get, Headers, Param, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Role } from '../auth/token-matcher';
import { uuidParam } from '../common/uuid-param.pipe';
import { StatusService } from './status.service';
import { IntegrationStatusView, StatusView } from './status.view';

@ApiTags('status')
@ApiBearerAuth()
@Controller()
export class StatusController {
  constructor(private readonly status: StatusService) {}

  /** Every integration and destination at a glance. */
  @Get('status')
  @ApiHeader({
    name: 'Cache-Control',
    required: false,
    description:
      '`no-cache` skips the copy kept while a newer one is read: the admin token gets figures read now, the viewer ' +
      'token figures at most 1 s old (one read a second, however many ask)',
  })
  @ApiOkResponse({ type: StatusView })
  overview(
    @Headers('cache-control') cacheControl: string | undefined,
    @Req() request: Request & { role?: Role },
  ): Promise<StatusView> {
    if (!/\bno-cache\b/i.test(cacheControl ?? '')) {
      return this.status.overview('cached');
    }
    // Dashboards hold the viewer token: its no-cache must not turn every poll into a full read.
    return this.status.overview(request.role === 'admin' ? 'now' : 'recent');
  }

  /** One integration, as in `GET /status`, read now. */
  @Get('integrations/:id/status')
  @ApiOkResponse({ type: IntegrationStatusView })
  integration(@Param('id', uuidParam()) id: string): Promise<IntegrationStatusView> {
    return this.status.integration(id);
  }
}
