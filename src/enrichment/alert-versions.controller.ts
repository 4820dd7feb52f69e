import { Controller, HttpCode, Injectable, Param, PipeTransform, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiParam, ApiProperty, ApiTags } from '@nestjs/swagger';
import { InvalidInputError } from '../common/domain.errors';
import { AlertIdPipe } from '../status/alerts.controller';
import { AlertVersionRetryService } from './alert-version-retry.service';

/** A version number is a positive 32-bit integer; anything else is a 400 naming the parameter. */
@Injectable()
export class VersionPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    const version = /^[1-9]\d{0,9}$/.test(value) ? Number(value) : NaN;
    if (!(version <= 2_147_483_647)) {
      throw new InvalidInputError('version', 'must be a positive integer');
    }
    return version;
  }
}

export class AlertVersionRetryView {
  @ApiProperty({ description: 'Our alert id (decimal string of a 64-bit integer)', example: '12' })
  id!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ enum: ['pending'] }) state!: 'pending';
}

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('alerts')
export class AlertVersionsController {
  constructor(private readonly retries: AlertVersionRetryService) {}

  /** Enriches a `failed` version again (admin); the scope answers it already has are not fetched again. */
  @Post(':id/versions/:version/retry')
  @HttpCode(202)
  @ApiParam({ name: 'id', schema: { type: 'string', pattern: '^[0-9]+$' } })
  @ApiParam({ name: 'version', schema: { type: 'integer', minimum: 1 } })
  @ApiAcceptedResponse({ type: AlertVersionRetryView })
  retry(
    @Param('id', AlertIdPipe) id: string,
    @Param('version', VersionPipe) version: number,
  ): Promise<AlertVersionRetryView> {
    return this.retries.retry(id, version);
  }
}
