/** SQLSTATE codes the service reacts to. */
export const UNIQUE_VIOLATION = '23505';

/** The SQLSTATE of a database error (TypeORM wraps the driver's error in `driverError`), or undefined. */
export function pgErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) {
    return undefined;
  }
  const driver = (error as { driverError?: unknown }).driverError ?? error;
  const code = (driver as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
