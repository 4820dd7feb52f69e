import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';

const SCHEMA_PATH = join(__dirname, '..', '..', 'schemas', 'ocsf', 'detection_finding-1.5.0.schema.json');

let validator: ValidateFunction | undefined;

function detectionFindingValidator(): ValidateFunction {
  validator ??= new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(
    JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object,
  );
  return validator;
}

/**
 * Checks one OCSF rendering (JSON text) against the OCSF 1.5.0 Detection Finding schema.
 * @returns the schema's complaints in words, none when the rendering is valid.
 */
export function validateOcsf(text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`];
  }
  const validate = detectionFindingValidator();
  if (validate(value)) {
    return [];
  }
  return (validate.errors ?? []).map(
    (error) =>
      `${error.instancePath || '/'} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`,
  );
}
