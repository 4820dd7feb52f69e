import 'reflect-metadata';
import { decodeCursor, encodeCursor } from './pagination';
import { InvalidInputError } from './domain.errors';

const ID = '3f0e6a1c-1d2b-4c3d-9e8f-0a1b2c3d4e5f';

describe('decodeCursor', () => {
  it('gives back what encodeCursor wrote', () => {
    const key = ['2024-05-01T10:00:00.123Z', ID];
    expect(decodeCursor(encodeCursor(key), ['date', 'uuid'])).toEqual(key);
    const micro = ['2024-05-01T10:00:00.123456Z', '42'];
    expect(decodeCursor(encodeCursor(micro), ['date', 'string'])).toEqual(micro);
  });

  it.each([
    ['an id that is not a UUID', ['2024-05-01T10:00:00.000Z', 'not-a-uuid']],
    ['a time JavaScript reads but PostgreSQL refuses', ['1', ID]],
    ['a day that does not exist', ['2024-02-30T00:00:00.000Z', ID]],
    ['a time with an offset', ['2024-05-01T10:00:00+02:00', ID]],
    ['too few parts', [ID]],
    ['a number for the id', ['2024-05-01T10:00:00.000Z', 7]],
  ])('refuses %s with an error naming cursor', (_name, key) => {
    expect(() => decodeCursor(encodeCursor(key), ['date', 'uuid'])).toThrow(
      new InvalidInputError('cursor', 'not a cursor this list returned'),
    );
  });

  it('refuses text that is not a cursor at all', () => {
    expect(() => decodeCursor('%%%', ['date', 'uuid'])).toThrow(InvalidInputError);
  });
});
