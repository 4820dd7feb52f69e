import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/public.decorator';
import { DatabaseHealthRepository } from './database-health.repository';

@Controller('health')
export class HealthController {
  constructor(private readonly database: DatabaseHealthRepository) {}

  @Public()
  @Get()
  async check(@Res({ passthrough: true }) response: Response): Promise<{ status: string; database: string }> {
    const up = await this.database.isUp();
    response.status(up ? 200 : 503);
    return up ? { status: 'ok', database: 'up' } : { status: 'unavailable', database: 'down' };
  }
}
