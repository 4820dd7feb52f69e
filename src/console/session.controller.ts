import { Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Role } from '../auth/token-matcher';

export class SessionView {
  @ApiProperty({
    enum: ['admin', 'viewer', 'metrics'],
    description: 'What the presented token may do: admin everything, viewer read only',
  })
  role!: Role;
}

@ApiTags('session')
@ApiBearerAuth()
@Controller('session')
export class SessionController {
  /** The role of the presented token, so the console shows write controls only to the admin. */
  @Get()
  @ApiOkResponse({ type: SessionView })
  whoami(@Req() request: Request & { role?: Role }): SessionView {
    return { role: request.role ?? 'viewer' };
  }
}
