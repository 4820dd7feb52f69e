import { randomUUID } from 'node:crypto';
import type { OpenedDestination, OutgoingEvent } from '../senders/destination-sender';
import { renderOcsfFinding } from './ocsf.format';
import { renderBody } from './render';

export const TEST_EVENT_TITLE = 'lacework-connector test event';

/**
 * The event `POST /destinations/:id/test` sends: clearly marked (`"test": true`, not an alert) and rendered in the
 * destination's own format, so a receiver that parses OCSF sees a valid finding and a document receiver a document.
 */
export function testEvent(destination: OpenedDestination, sentAt: Date): OutgoingEvent {
  const document = JSON.stringify({
    type: 'connector.test',
    test: true,
    message: 'Test event from lacework-connector: not an alert',
    alertId: 'test',
    alertName: TEST_EVENT_TITLE,
    severity: 'Info',
    status: 'Open',
    startTime: sentAt.toISOString(),
    destinationId: destination.id,
    sentAt: sentAt.toISOString(),
  });
  const deliveryId = randomUUID();
  const body = renderBody(
    destination.kind,
    destination.format,
    { document, deliveryId, integrationId: '', alertId: 'test', version: 0, consoleUrl: null },
    renderOcsfFinding,
  );
  return {
    deliveryId,
    webhookId: `lw_test_${randomUUID()}`,
    integrationId: '-',
    alertId: 'test',
    version: 0,
    severity: 'Info',
    timeMs: sentAt.getTime(),
    body,
    consoleUrl: null,
    test: true,
  };
}
