import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';

const WINDOW_MS = 60_000;
const MAX_TRACKED = 10_000;

/** Slows down token guessing: too many failed authentications from one address in a minute -> 429 for its failures. */
@Injectable()
export class FailedAuthThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly maxFailures: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.maxFailures = config.authFailuresPerMinute;
  }

  assertAllowed(address: string, now = Date.now()): void {
    const recent = this.recent(address, now);
    if (recent.length >= this.maxFailures) {
      const retryAfter = Math.ceil((recent[0] + WINDOW_MS - now) / 1000);
      throw new HttpException(
        { message: `authorization: too many failed attempts, retry in ${retryAfter} s`, retryAfter },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }

  recordFailure(address: string, now = Date.now()): void {
    if (this.failures.size >= MAX_TRACKED && !this.failures.has(address)) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) {
        this.failures.delete(oldest);
      }
    }
    this.failures.set(address, [...this.recent(address, now), now]);
  }

  private recent(address: string, now: number): number[] {
    return (this.failures.get(address) ?? []).filter((t) => t > now - WINDOW_MS);
  }
}
