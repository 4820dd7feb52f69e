import { parse, stringify } from 'lossless-json';

/**
 * Parses JSON text keeping every number as a `LosslessNumber`, so integers beyond 2^53 keep their digits.
 * Duplicate keys resolve like `JSON.parse` (last one wins) instead of failing the whole answer.
 */
export function parseLossless(text: string): unknown {
  return parse(text, null, { onDuplicateKey: ({ newValue }) => newValue });
}

/** Serialises a value produced by {@link parseLossless} back to compact JSON text with the same digits. */
export function stringifyLossless(value: unknown): string {
  const text = stringify(value);
  if (text === undefined) {
    throw new TypeError('value has no JSON representation');
  }
  return text;
}
