import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsISO8601, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';

export const DELIVERY_STATES = ['pending', 'failed', 'delivered', 'dead', 'superseded'] as const;

export class ListDeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATES })
  @IsOptional()
  @IsIn(DELIVERY_STATES, { message: `state must be one of ${DELIVERY_STATES.join(', ')}` })
  state?: (typeof DELIVERY_STATES)[number];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'integrationId must be a UUID' })
  integrationId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID('all', { message: 'destinationId must be a UUID' })
  destinationId?: string;
}

export class ReplayDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'destinationId must be a UUID' })
  destinationId!: string;

  @ApiProperty({ enum: ['dead', 'delivered'] })
  @IsIn(['dead', 'delivered'], { message: 'state must be dead or delivered' })
  state!: 'dead' | 'delivered';

  @ApiProperty({ example: '2026-11-01T00:00:00.000Z' })
  @IsISO8601({ strict: true }, { message: 'since must be an RFC 3339 date-time' })
  since!: string;

  @ApiPropertyOptional({ example: '2026-11-02T00:00:00.000Z' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an RFC 3339 date-time' })
  until?: string;

  @ApiPropertyOptional({ default: false, description: 'Only count what would be queued; change nothing' })
  @IsOptional()
  @IsBoolean({ message: 'dryRun must be a boolean' })
  dryRun?: boolean;
}

export class ReplayView {
  @ApiProperty({ description: 'Deliveries queued again (0 with dryRun)' }) queued!: number;
  @ApiProperty({ description: 'Deliveries that match: what a replay queues now' }) matched!: number;
}
