import { ValidateIf } from 'class-validator';

/**
 * Like class-validator's IsOptional, but only a missing field is skipped: `null` is checked like any other value, so
 * `{"name": null}` gets a 400 naming the field instead of reaching code that expects a string. Fields where null
 * means something (cleared) say so with `ValidateIf((_, v) => v !== null)` instead.
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_object: unknown, value: unknown) => value !== undefined);
}
