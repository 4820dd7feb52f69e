import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { FailedAuthThrottle } from '../auth/failed-auth.throttle';
import { Public } from '../auth/public.decorator';
import { uuidParam } from '../common/uuid-param.pipe';
import { HookStatus, LaceworkHintService } from './lacework-hint.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The entry of Lacework's "Webhook" alert channel into polling. Lacework authenticates a channel with a token in the
 * URL's query, so this route is open to the bearer guard and checks its own per-integration token.
 */
@ApiTags('hooks')
@Controller()
export class LaceworkHookController {
  constructor(
    private readonly hints: LaceworkHintService,
    private readonly throttle: FailedAuthThrottle,
  ) {}

  /** Answers 202 at once: the hint only makes the next poll due; the poll starts after the answer. */
  @Public()
  @Post('hooks/lacework/:integrationId')
  @HttpCode(202)
  @ApiQuery({ name: 'token', description: 'The hook token of the integration' })
  @ApiAcceptedResponse({ description: 'Hint recorded (or recorded as a test)' })
  async receive(
    @Param('integrationId') integrationId: string,
    @Query('token') token: unknown,
    @Body() body: unknown,
    @Req() req: Request,
  ): Promise<{ accepted: true; test: boolean }> {
    const address = req.ip ?? 'unknown';
    this.throttle.assertAllowed(address);
    const presented = typeof token === 'string' ? token : '';
    const valid =
      UUID.test(integrationId) &&
      presented !== '' &&
      (await this.hints.authenticate(integrationId, presented));
    if (!valid) {
      this.throttle.recordFailure(address);
      throw new UnauthorizedException('token: not the hook token of this integration');
    }
    const { test } = this.hints.receive(integrationId, body);
    return { accepted: true, test };
  }

  /** Makes a new hook token; the answer is the only time it is shown, inside the channel URL to paste into Lacework. */
  @ApiBearerAuth()
  @Post('integrations/:id/hook-token')
  rotateToken(
    @Param('id', uuidParam()) id: string,
    @Req() req: Request,
  ): Promise<{ token: string; channelUrl: string }> {
    return this.hints.rotateToken(id, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  }

  /** The hook of an integration: whether it has a token, the last hint received and its age. */
  @ApiBearerAuth()
  @Get('integrations/:id/hook')
  status(@Param('id', uuidParam()) id: string): Promise<HookStatus> {
    return this.hints.status(id);
  }
}
