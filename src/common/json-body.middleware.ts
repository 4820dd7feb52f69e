import express, { NextFunction, Request, Response } from 'express';
import { ErrorBody } from './http-exception.filter';

export const BODY_LIMIT = '1mb';

/** Parses JSON bodies (1 MB at most). */
export const jsonBody = express.json({ limit: BODY_LIMIT });

/** Answers body-parser failures in our error shape, naming the body as the culprit. */
export function jsonBodyErrors(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  if (typeof type !== 'string' || (!type.startsWith('entity.') && type !== 'charset.unsupported')) {
    next(error);
    return;
  }
  const status = type === 'entity.too.large' ? 413 : type.includes('unsupported') ? 415 : 400;
  const body: ErrorBody = {
    statusCode: status,
    error: status === 413 ? 'Payload Too Large' : status === 415 ? 'Unsupported Media Type' : 'Bad Request',
    message:
      status === 413
        ? `body: larger than the ${BODY_LIMIT} limit`
        : status === 415
          ? 'body: unsupported encoding'
          : 'body: not valid JSON (check quoting and commas)',
  };
  res.status(status).json(body);
}
