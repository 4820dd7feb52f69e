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

/** Decodes an opaque cursor, checking it has the shape this list uses; anything else is a 400 naming `cursor`. */
export function decodeCursor(
  cursor: string | undefined,
  shape: ('string' | 'number' | 'date')[],
): CursorKey | null {
  if (cursor === undefined) {
    return null;
  }
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidInputError('cursor', 'not a cursor this list returned');
  }
  const fits =
    Array.isArray(key) &&
    key.length === shape.length &&
    key.every((v, i) =>
      shape[i] === 'number'
        ? typeof v === 'number' && Number.isFinite(v)
        : shape[i] === 'date'
          ? typeof v === 'string' && !Number.isNaN(Date.parse(v))
          : typeof v === 'string' && v.length <= 200,
    );
  if (!fits) {
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
