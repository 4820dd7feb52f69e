import { ApiProperty } from '@nestjs/swagger';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsISO8601, IsOptional } from 'class-validator';

export class BackfillDto {
  @ApiProperty({
    example: '2026-09-01T00:00:00.000Z',
    description: 'Start of the range (within the last 90 days)',
  })
  @IsISO8601({ strict: true }, { message: 'since must be an RFC 3339 date-time' })
  since!: string;

  @ApiProperty({ example: '2026-09-08T00:00:00.000Z', description: 'End of the range (not in the future)' })
  @IsISO8601({ strict: true }, { message: 'until must be an RFC 3339 date-time' })
  until!: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'Also enrich again, as a new version, every alert of the range already stored (for example after opting in ' +
      'to an extra scope); its scope calls are paid again and the new version is delivered',
  })
  @IsOptional()
  @IsBoolean({ message: 'refreshDocuments must be a boolean' })
  refreshDocuments?: boolean;
}
