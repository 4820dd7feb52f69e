import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Page } from '../common/pagination';
import { uuidParam } from '../common/uuid-param.pipe';
import { InvalidInputError } from '../common/domain.errors';
import { DeliveriesService } from './deliveries.service';
import { DeliveryDetailView, DeliveryView } from './delivery.view';
import { ListDeliveriesQueryDto, ReplayDto, ReplayView } from './dto/deliveries.dto';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get('deliveries')
  list(@Query() query: ListDeliveriesQueryDto): Promise<Page<DeliveryView>> {
    return this.deliveries.list(query);
  }

  @Get('deliveries/:id')
  get(@Param('id', uuidParam()) id: string): Promise<DeliveryDetailView> {
    return this.deliveries.get(id);
  }

  /** Sends a failed or dead delivery again now (a dead one starts a fresh schedule); the webhook-id stays. */
  @Post('deliveries/:id/retry')
  @HttpCode(202)
  retry(@Param('id', uuidParam()) id: string): Promise<DeliveryView> {
    return this.deliveries.retry(id);
  }

  /** Queues again every dead (or delivered) delivery to a destination created in a time range; dryRun counts them. */
  @Post('deliveries/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ReplayView })
  replay(@Body() dto: ReplayDto): Promise<ReplayView> {
    return this.deliveries.replay(dto);
  }

  /** Sends the newest version of an alert again, to every destination it went to (the answer shows the first). */
  @Post('alerts/:id/redeliver')
  @HttpCode(202)
  redeliver(@Param('id') id: string): Promise<DeliveryView> {
    if (!/^[1-9]\d{0,18}$/.test(id)) {
      throw new InvalidInputError('id', 'must be a positive integer');
    }
    return this.deliveries.redeliverAlert(id);
  }
}
