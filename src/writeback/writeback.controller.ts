import { Body, Controller, Headers, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiHeader, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AllowsWriteback } from '../auth/writeback.decorator';
import { AlertIdPipe } from '../status/alerts.controller';
import { AlertActionView } from './alert-action.view';
import { CloseAlertDto, CommentAlertDto } from './dto/alert-action.dto';
import { ActionRequester, WritebackService } from './writeback.service';

type AuthenticatedRequest = Request & { role?: string; id?: unknown };

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'A repeated request with the same key returns the first action instead of a second one',
};

/** Closing and commenting on alerts in Lacework: the admin token and the write-back token may call these two. */
@ApiTags('write-back')
@ApiBearerAuth()
@Controller('alerts')
export class WritebackController {
  constructor(private readonly writeback: WritebackService) {}

  @Post(':id/close')
  @HttpCode(202)
  @AllowsWriteback()
  @ApiParam({ name: 'id', schema: { type: 'string', pattern: '^[0-9]+$' } })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: AlertActionView, description: 'Stored; the worker sends it to Lacework' })
  close(
    @Param('id', AlertIdPipe) id: string,
    @Body() dto: CloseAlertDto,
    @Req() req: AuthenticatedRequest,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<AlertActionView> {
    return this.writeback.close(id, dto, requesterOf(req, idempotencyKey));
  }

  @Post(':id/comment')
  @HttpCode(202)
  @AllowsWriteback()
  @ApiParam({ name: 'id', schema: { type: 'string', pattern: '^[0-9]+$' } })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiAcceptedResponse({ type: AlertActionView, description: 'Stored; the worker sends it to Lacework' })
  comment(
    @Param('id', AlertIdPipe) id: string,
    @Body() dto: CommentAlertDto,
    @Req() req: AuthenticatedRequest,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<AlertActionView> {
    return this.writeback.comment(id, dto, requesterOf(req, idempotencyKey));
  }
}

function requesterOf(req: AuthenticatedRequest, idempotencyKey: string | undefined): ActionRequester {
  return {
    role: req.role ?? 'admin',
    requestId: typeof req.id === 'string' ? req.id : null,
    idempotencyKey: idempotencyKey === undefined ? null : idempotencyKey.trim(),
  };
}
