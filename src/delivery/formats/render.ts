import type { DestinationFormat, DestinationKind } from '../senders/destination-sender';

/** What a rendering is built from: the stored document and the delivery it goes out with. */
export interface RenderInput {
  document: string;
  deliveryId: string;
  integrationId: string;
  alertId: string;
  version: number;
  consoleUrl: string | null;
}

/**
 * The assembled document on one line. JSON allows raw CR and LF only as whitespace between tokens (inside strings
 * they are always escaped), so replacing them with spaces keeps the same JSON; a compact document is unchanged.
 */
export function singleLine(json: string): string {
  return /[\r\n]/.test(json) ? json.replace(/[\r\n]/g, ' ') : json;
}

/** The body a destination gets for one delivery. A webhook gets the document exactly as stored. */
export function renderBody(
  kind: DestinationKind,
  format: DestinationFormat,
  input: RenderInput,
  renderOcsf: (input: RenderInput) => string,
): string {
  if (format === 'ocsf') {
    return renderOcsf(input);
  }
  return kind === 'webhook' ? input.document : singleLine(input.document);
}
