import express, { NextFunction, Request, Response } from 'express';
import { ErrorBody } from './http-exception.filter';

export const BODY_LIMIT = '1mb';
/** Far deeper than any body this API takes; validation recurses, so a deeper one must be refused before it. */
export const MAX_BODY_DEPTH = 32;
// With the `u` flag a paired surrogate is one code point, so this finds only lone halves.
const LONE_SURROGATE = /\p{Cs}/u;

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

/** Refuses parsed bodies that validation would choke on: too deep, or text that is not valid Unicode. */
export function jsonBodyShape(req: Request, res: Response, next: NextFunction): void {
  const problem = bodyProblem(req.body as unknown);
  if (problem === null) {
    next();
    return;
  }
  const body: ErrorBody = { statusCode: 400, error: 'Bad Request', message: problem };
  res.status(400).json(body);
}

/** The first problem found, as `<field>: <reason>`, or null. Iterative, so depth costs no stack. */
export function bodyProblem(value: unknown): string | null {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: '', depth: 0 }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    const field = item.path === '' ? 'body' : item.path;
    if (typeof item.value === 'string') {
      if (LONE_SURROGATE.test(item.value)) {
        return `${field}: not valid Unicode (contains a lone surrogate)`;
      }
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null) {
      continue;
    }
    if (item.depth >= MAX_BODY_DEPTH) {
      return `body: nested deeper than ${MAX_BODY_DEPTH} levels`;
    }
    for (const [key, child] of Object.entries(item.value)) {
      if (LONE_SURROGATE.test(key)) {
        return `${field}: a key is not valid Unicode (contains a lone surrogate)`;
      }
      const path = Array.isArray(item.value)
        ? `${item.path}[${key}]`
        : item.path === ''
          ? key
          : `${item.path}.${key}`;
      pending.push({ value: child, path, depth: item.depth + 1 });
    }
  }
  return null;
}
