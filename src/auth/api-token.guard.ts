import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { IS_PUBLIC } from './public.decorator';
import { ALLOWS_WRITEBACK } from './writeback.decorator';
import { Role, TokenMatcher } from './token-matcher';
import { FailedAuthThrottle } from './failed-auth.throttle';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const METRICS_ROUTE = 'metrics';

/**
 * Closed by default: every route needs a bearer token; the viewer token may only read. Failed attempts are counted
 * per client address (`request.ip`, which honours X-Forwarded-For only from the proxies TRUST_PROXY names).
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  private readonly matcher: TokenMatcher;

  constructor(
    private readonly reflector: Reflector,
    private readonly throttle: FailedAuthThrottle,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.matcher = new TokenMatcher({
      admin: config.adminApiToken,
      viewer: config.viewerApiToken,
      metrics: config.metricsToken,
      writeback: config.writebackToken,
    });
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) {
      return true;
    }
    const request = context.switchToHttp().getRequest<Request & { role?: Role }>();
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const role = match ? this.matcher.match(match[1]) : null;
    if (role === null) {
      // Only failures are throttled: a valid token always passes, so guessers behind a shared address (a proxy,
      // NAT) cannot lock the administrator out.
      const address = request.ip ?? 'unknown';
      this.throttle.assertAllowed(address);
      this.throttle.recordFailure(address);
      throw new UnauthorizedException(
        match ? 'authorization: unknown token' : 'authorization: a Bearer token is required',
      );
    }
    const isMetrics = request.path === `/${METRICS_ROUTE}`;
    if (role === 'metrics' && !isMetrics) {
      throw new ForbiddenException('authorization: the metrics token may only read /metrics');
    }
    if (role === 'viewer' && !READ_METHODS.has(request.method)) {
      throw new ForbiddenException('authorization: the viewer token may only read');
    }
    if (
      role === 'writeback' &&
      !this.reflector.getAllAndOverride<boolean>(ALLOWS_WRITEBACK, [context.getHandler(), context.getClass()])
    ) {
      throw new ForbiddenException(
        'authorization: the write-back token may only close and comment on alerts',
      );
    }
    request.role = role;
    return true;
  }
}
