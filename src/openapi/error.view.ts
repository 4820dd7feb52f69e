import { ApiProperty } from '@nestjs/swagger';

/** Every error answer: the status, its reason phrase, and a message that names the culprit field first. */
export class ErrorView {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'Bad Request' }) error!: string;
  @ApiProperty({ example: 'limit: must be at most 500' }) message!: string;
}
