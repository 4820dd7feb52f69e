import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

export const CLOSE_REASONS = [0, 1, 2, 3, 4, 5] as const;
export const COMMENT_FORMATS = ['plaintext', 'markdown'] as const;
export type CommentFormat = (typeof COMMENT_FORMATS)[number];
const COMMENT_MAX = 10_000;

export class CloseAlertDto {
  @ApiProperty({
    minimum: 0,
    maximum: 5,
    description:
      '0 Other (comment required), 1 False positive, 2 Not enough information, 3 Malicious and have resolution in ' +
      'place, 4 Expected because of routine testing, 5 Expected behavior',
  })
  @IsInt({ message: 'reason must be a whole number from 0 to 5' })
  @Min(0, { message: 'reason must be a whole number from 0 to 5' })
  @Max(5, { message: 'reason must be a whole number from 0 to 5' })
  reason!: number;

  @ApiPropertyOptional({ maxLength: COMMENT_MAX, description: 'Required with reason 0' })
  @IsOptional()
  @IsString({ message: 'comment must be a string' })
  @MaxLength(COMMENT_MAX, { message: `comment must be at most ${COMMENT_MAX} characters` })
  comment?: string;
}

export class CommentAlertDto {
  @ApiProperty({ minLength: 1, maxLength: COMMENT_MAX })
  @IsString({ message: 'comment must be a string' })
  @MinLength(1, { message: 'comment must not be empty' })
  @MaxLength(COMMENT_MAX, { message: `comment must be at most ${COMMENT_MAX} characters` })
  comment!: string;

  @ApiPropertyOptional({ enum: COMMENT_FORMATS, default: 'plaintext' })
  @IsOptional()
  @IsIn(COMMENT_FORMATS, { message: `format must be one of ${COMMENT_FORMATS.join(', ')}` })
  format?: CommentFormat;
}
