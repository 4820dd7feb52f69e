import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Page, PageQueryDto } from '../common/pagination';
import { uuidParam } from '../common/uuid-param.pipe';
import { DestinationsService } from './destinations.service';
import { DestinationTestView, DestinationView } from './destination.view';
import { CreateDestinationDto, UpdateDestinationDto } from './dto/destination.dto';

@ApiTags('destinations')
@ApiBearerAuth()
@Controller('destinations')
export class DestinationsController {
  constructor(private readonly destinations: DestinationsService) {}

  @Post()
  create(@Body() dto: CreateDestinationDto): Promise<DestinationView> {
    return this.destinations.create(dto);
  }

  @Get()
  list(@Query() query: PageQueryDto): Promise<Page<DestinationView>> {
    return this.destinations.list(query);
  }

  @Get(':id')
  get(@Param('id', uuidParam()) id: string): Promise<DestinationView> {
    return this.destinations.get(id);
  }

  @Patch(':id')
  update(@Param('id', uuidParam()) id: string, @Body() dto: UpdateDestinationDto): Promise<DestinationView> {
    return this.destinations.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', uuidParam()) id: string): Promise<void> {
    return this.destinations.remove(id);
  }

  /** Sends one signed test event and reports the answer (status, latency). */
  @Post(':id/test')
  @HttpCode(200)
  test(@Param('id', uuidParam()) id: string): Promise<DestinationTestView> {
    return this.destinations.test(id);
  }
}
