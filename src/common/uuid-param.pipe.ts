import { ParseUUIDPipe } from '@nestjs/common';
import { InvalidInputError } from './domain.errors';

/** Route ids are UUIDs; anything else is a 400 naming the parameter, never a database error. */
export const uuidParam = (name = 'id'): ParseUUIDPipe =>
  new ParseUUIDPipe({ exceptionFactory: () => new InvalidInputError(name, 'must be a UUID') });
