import { Controller, Get, Injectable, Param, PipeTransform, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiOkResponse, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { InvalidInputError } from '../common/domain.errors';
import { Page } from '../common/pagination';
import { SEVERITIES } from '../credentials/dto/integration-fields';
import { AlertDetailView, AlertPageView, AlertSummaryView, ScopeOutcomeView } from './alert.view';
import { AlertsService } from './alerts.service';
import { AlertDocumentQueryDto, isRowId, ListAlertsQueryDto } from './dto/list-alerts.query';

/** Alert ids are 64-bit integers; anything else is a 400 naming the parameter, never a database error. */
@Injectable()
export class AlertIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isRowId(value)) {
      throw new InvalidInputError('id', 'must be a positive integer');
    }
    return BigInt(value).toString();
  }
}

@ApiTags('alerts')
@ApiBearerAuth()
@ApiExtraModels(ScopeOutcomeView)
@Controller('alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @ApiQuery({ name: 'severity', required: false, enum: SEVERITIES, isArray: true })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
  })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ type: AlertPageView })
  list(@Query() query: ListAlertsQueryDto): Promise<Page<AlertSummaryView>> {
    return this.alerts.list(query);
  }

  @Get(':id')
  @ApiParam({ name: 'id', schema: { type: 'string', pattern: '^[0-9]+$' } })
  @ApiOkResponse({ type: AlertDetailView })
  get(@Param('id', AlertIdPipe) id: string): Promise<AlertDetailView> {
    return this.alerts.get(id);
  }

  /** The stored document text, byte for byte: parsing it would corrupt integers beyond 2^53. */
  @Get(':id/document')
  @ApiParam({ name: 'id', schema: { type: 'string', pattern: '^[0-9]+$' } })
  @ApiOkResponse({
    description: 'The assembled alert document exactly as stored',
    content: { 'application/json': {} },
  })
  async document(
    @Param('id', AlertIdPipe) id: string,
    @Query() query: AlertDocumentQueryDto,
    @Res() res: Response,
  ): Promise<void> {
    const text = await this.alerts.document(id, query.version ?? null);
    res.type('application/json').send(Buffer.from(text, 'utf8'));
  }
}
