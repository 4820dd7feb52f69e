import { Controller, Get, Headers, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
    description: '`no-cache` reads the figures now instead of serving them up to 1 s old',
  })
  @ApiOkResponse({ type: StatusView })
  overview(@Headers('cache-control') cacheControl: string | undefined): Promise<StatusView> {
    return this.status.overview(/\bno-cache\b/i.test(cacheControl ?? ''));
  }

  /** One integration, as in `GET /status`, read now. */
  @Get('integrations/:id/status')
  @ApiOkResponse({ type: IntegrationStatusView })
  integration(@Param('id', uuidParam()) id: string): Promise<IntegrationStatusView> {
    return this.status.integration(id);
  }
}
