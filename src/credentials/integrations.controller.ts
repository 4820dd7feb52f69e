import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Page, PageQueryDto } from '../common/pagination';
import { uuidParam } from '../common/uuid-param.pipe';
import {
  CreateIntegrationDto,
  DeleteIntegrationQueryDto,
  UpdateIntegrationDto,
} from './dto/integration-fields';
import { IntegrationsService } from './integrations.service';
import { ConnectionTestView, IntegrationView } from './integration.view';

@ApiTags('integrations')
@ApiBearerAuth()
@Controller('integrations')
export class IntegrationsController {
  constructor(private readonly integrations: IntegrationsService) {}

  @Post()
  create(@Body() dto: CreateIntegrationDto): Promise<IntegrationView> {
    return this.integrations.create(dto);
  }

  /** Checks credentials without saving anything. */
  @Post('test')
  @HttpCode(200)
  testUnsaved(@Body() dto: CreateIntegrationDto): Promise<ConnectionTestView> {
    return this.integrations.testUnsaved(dto);
  }

  @Get()
  list(@Query() query: PageQueryDto): Promise<Page<IntegrationView>> {
    return this.integrations.list(query);
  }

  @Get(':id')
  get(@Param('id', uuidParam()) id: string): Promise<IntegrationView> {
    return this.integrations.get(id);
  }

  @Patch(':id')
  update(@Param('id', uuidParam()) id: string, @Body() dto: UpdateIntegrationDto): Promise<IntegrationView> {
    return this.integrations.update(id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', uuidParam()) id: string, @Query() query: DeleteIntegrationQueryDto): Promise<void> {
    return this.integrations.remove(id, query.purge === 'true');
  }

  @Post(':id/test')
  @HttpCode(200)
  testStored(@Param('id', uuidParam()) id: string): Promise<ConnectionTestView> {
    return this.integrations.testStored(id);
  }
}
