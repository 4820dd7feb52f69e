import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiTokenGuard } from './api-token.guard';
import { FailedAuthThrottle } from './failed-auth.throttle';

@Module({
  providers: [FailedAuthThrottle, { provide: APP_GUARD, useClass: ApiTokenGuard }],
  exports: [FailedAuthThrottle],
})
export class AuthModule {}
