/** An error as one log line or stored reason: its class and message, never a stack or query parameters. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
