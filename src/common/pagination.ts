import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { InvalidInputError } from './domain.errors';

/** `?limit=&cursor=` accepted by every list endpoint. */
export class PageQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit: must be a whole number' })
  @Min(1, { message: 'limit: must be at least 1' })
  @Max(500, { message: 'limit: must be at most 500' })
  limit?: number;

  @IsOptional()
  @IsString({ message: 'cursor: must be a string' })
  @MaxLength(512, { message: 'cursor: too long' })
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The position after the last row of a page: the values of the stable sort key, oldest column first. */
export type CursorKey = (string | number)[];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** What one position of a cursor holds; each is checked so PostgreSQL never sees a value it would refuse. */
export type CursorPart = 'string' | 'number' | 'date' | 'uuid';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The forms this API writes into cursors: toISOString(), or PostgreSQL's text with microseconds.
const CURSOR_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})?Z$/;

function isCursorTime(value: string): boolean {
  const m = CURSOR_TIME.exec(value);
  if (m === null) {
    return false;
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return (
    year >= 1 &&
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second
  );
}

function fitsPart(value: unknown, part: CursorPart): boolean {
  switch (part) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'date':
      return typeof value === 'string' && isCursorTime(value);
    case 'uuid':
      return typeof value === 'string' && UUID.test(value);
    case 'string':
      return typeof value === 'string' && value.length <= 200;
  }
}

/** Decodes an opaque cursor, checking it has the shape this list uses; anything else is a 400 naming `cursor`. */
export function decodeCursor(cursor: string | undefined, shape: CursorPart[]): CursorKey | null {
  if (cursor === undefined) {
    return null;
  }
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidInputError('cursor', 'not a cursor this list returned');
  }
  if (!Array.isArray(key) || key.length !== shape.length || !key.every((v, i) => fitsPart(v, shape[i]))) {
    throw new InvalidInputError('cursor', 'not a cursor this list returned');
  }
  return key as CursorKey;
}

export const DEFAULT_PAGE_SIZE = 50;

/** Builds a page from `limit + 1` fetched rows: the extra row only tells that another page exists. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  view: (row: R) => T,
  keyOf: (row: R) => CursorKey,
): Page<T> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  return {
    items: items.map(view),
    nextCursor: hasMore ? encodeCursor(keyOf(items[items.length - 1])) : null,
  };
}
