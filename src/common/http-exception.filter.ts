import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from './domain.errors';
import { errorLogFields } from './error-log';

const STATUS_BY_KIND: Record<DomainError['kind'], number> = {
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  invalid: HttpStatus.BAD_REQUEST,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  [extra: string]: unknown;
}

/** The one place errors become HTTP answers: `{statusCode, error, message}` with the field named in `message`. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (body.statusCode >= 500) {
      this.logger.error(errorLogFields(exception), 'request failed');
    }
    if (!response.headersSent) {
      response.status(body.statusCode).json(body);
    }
  }

  toBody(exception: unknown): ErrorBody {
    if (exception instanceof DomainError) {
      const statusCode = STATUS_BY_KIND[exception.kind];
      return { ...exception.details, statusCode, error: reason(statusCode), message: exception.message };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      const payload = exception.getResponse();
      let message = exception.message;
      let extra: Record<string, unknown> = {};
      if (typeof payload === 'object' && payload !== null) {
        const { message: m, statusCode: _s, error: _e, ...rest } = payload as Record<string, unknown>;
        message = Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : message;
        extra = rest;
      } else if (typeof payload === 'string') {
        message = payload;
      }
      return { ...extra, statusCode, error: reason(statusCode), message };
    }
    return { statusCode: 500, error: reason(500), message: 'internal error' };
  }
}

function reason(status: number): string {
  return REASONS[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}
