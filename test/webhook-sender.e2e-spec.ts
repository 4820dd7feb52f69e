import { validateEnv } from '../src/config/env.validation';
import { WebhookSender } from '../src/delivery/senders/webhook.sender';
import { FakeDownstream } from './fakes/fake-downstream';
import { testEnv } from './setup/test-app';

const SECRET = 'whsec_' + Buffer.alloc(32, 5).toString('base64');

function sender(overrides: Record<string, string>): WebhookSender {
  return new WebhookSender(validateEnv(testEnv('postgres://unused@127.0.0.1/unused', overrides)));
}

function request(url: string): Parameters<WebhookSender['send']>[0] {
  return { url, webhookId: 'lw_test_1_v1', body: '{"a":1}', secrets: [SECRET], headers: {} };
}

describe('WebhookSender: bounded time, checked addresses', () => {
  let downstream: FakeDownstream;

  beforeEach(async () => {
    downstream = await FakeDownstream.start({ secrets: [SECRET] });
  });

  afterEach(async () => {
    await downstream.close();
  });

  it('ends an attempt at DELIVERY_TIMEOUT_MS even when the answer drips in after the headers', async () => {
    // Headers at once, then one byte every 300 ms for a minute: only a deadline on the whole request ends it.
    downstream.respondWith([{ status: 200, dripBytes: 200, dripEveryMs: 300 }]);
    const started = Date.now();
    const answer = await sender({ DELIVERY_TIMEOUT_MS: '1000' }).send(request(`${downstream.url}/in`));
    const elapsed = Date.now() - started;

    expect(answer).toMatchObject({ status: null, error: 'timed out' });
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(3_000);
    await downstream.waitFor(() => downstream.received[0]?.endedAt !== null, 2_000);
  });

  it('delivers a normal answer well within the deadline', async () => {
    const answer = await sender({ DELIVERY_TIMEOUT_MS: '1000' }).send(request(`${downstream.url}/in`));
    expect(answer).toMatchObject({ status: 200, error: null });
    expect(downstream.received[0].signatureValid).toBe(true);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data', 'host must not be a cloud metadata address'],
    ['http://[fe80::1]/in', 'host must not be a link-local address'],
    ['http://[::ffff:169.254.169.254]/in', 'host must not be a cloud metadata address'],
    ['http://0.0.0.0:9/in', 'host must not be an unspecified address'],
    ['http://metadata.google.internal/in', 'host must not be a cloud metadata service'],
    ['http://user:pw@127.0.0.1:9/in', 'must not contain credentials'],
  ])('refuses a stored URL the current policy forbids, before connecting: %s', async (url, reason) => {
    const answer = await sender({ DELIVERY_TIMEOUT_MS: '5000' }).send(request(url));
    expect(answer).toMatchObject({ status: null, error: `destination URL refused: ${reason}` });
    expect(answer.latencyMs).toBeLessThan(1_000);
  });
});
