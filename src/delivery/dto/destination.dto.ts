import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsObject, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** Fields of a destination; create requires name and url (checked by the service so the message names them). */
export class DestinationFieldsDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ example: 'https://pipeline.internal:8443/lacework', maxLength: 2048 })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({
    writeOnly: true,
    description: 'whsec_ + base64 of 24-64 random bytes; generated (and returned once) when omitted',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  signingSecret?: string;

  @ApiPropertyOptional({
    writeOnly: true,
    description:
      'Extra static headers sent with every delivery (e.g. an ingest token); stored encrypted. Required again (`{}` drops them) when a PATCH changes url',
    type: 'object',
    additionalProperties: { type: 'string' },
  })
  @IsOptional()
  @IsObject()
  headers?: Record<string, unknown>;

  @ApiPropertyOptional({
    default: true,
    description: 'false stops deliveries; true resumes a paused destination',
  })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class CreateDestinationDto extends DestinationFieldsDto {}

export class UpdateDestinationDto extends DestinationFieldsDto {
  @ApiPropertyOptional({
    description: 'Generate a new signing secret (returned once); the old one stays valid 24 h',
  })
  @IsOptional()
  @IsBoolean()
  rotateSigningSecret?: boolean;
}
