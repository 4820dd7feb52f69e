import { generateSigningSecret, webhookHeaders } from '../src/delivery/senders/webhook-signature';
import { FakeDownstream } from './fakes/fake-downstream';

const BODY = '{"alertId":967278,"scopeEvents":null,"mid":4325415338702892297,"note":"caf\u00e9 \u2603"}';
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('FakeDownstream', () => {
  const current = generateSigningSecret();
  const rotated = generateSigningSecret();
  let fake: FakeDownstream;

  beforeEach(async () => {
    fake = await FakeDownstream.start({ secrets: [current] });
  });

  afterEach(async () => {
    await fake.close();
  });

  function post(
    id: string,
    body: string,
    secrets: string[],
    extra: Record<string, string> = {},
  ): Promise<Response> {
    return fetch(`${fake.url}/hooks/lacework`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...webhookHeaders(id, nowSeconds(), body, secrets),
        ...extra,
      },
      body,
    });
  }

  it('listens on the loopback address', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('accepts a correctly signed request and records its exact body', async () => {
    const res = await post('alert-967278-v1', BODY, [current]);
    expect(res.status).toBe(200);
    expect(fake.received).toHaveLength(1);
    expect(fake.received[0]).toMatchObject({
      id: 'alert-967278-v1',
      signatureValid: true,
      body: BODY,
      status: 200,
      method: 'POST',
      path: '/hooks/lacework',
    });
    expect(fake.received[0].headers['content-type']).toBe('application/json');
    expect(fake.deliveredBodies()).toEqual(new Map([['alert-967278-v1', BODY]]));
  });

  it('answers 401 to a tampered body and does not count it as delivered', async () => {
    const headers = webhookHeaders('alert-1-v1', nowSeconds(), BODY, [current]);
    const res = await fetch(fake.url, {
      method: 'POST',
      headers: { ...headers },
      body: BODY.replace('967278', '967279'),
    });
    expect(res.status).toBe(401);
    expect(fake.received[0]).toMatchObject({ id: 'alert-1-v1', signatureValid: false, status: 401 });
    expect(fake.deliveredBodies().size).toBe(0);
  });

  it('answers 401 when the signature headers are missing', async () => {
    const res = await fetch(fake.url, { method: 'POST', body: BODY });
    expect(res.status).toBe(401);
    expect(fake.received[0]).toMatchObject({ id: '', timestamp: '', signatureValid: false });
    expect(fake.uniqueIds().size).toBe(0);
  });

  it('accepts a request signed with both the current and a rotated secret, whichever it knows', async () => {
    expect((await post('m-1', BODY, [current, rotated])).status).toBe(200);
    fake.setSecrets([rotated]);
    expect((await post('m-2', BODY, [current, rotated])).status).toBe(200);
    expect((await post('m-3', BODY, [current])).status).toBe(401);
    fake.setSecrets([current, rotated]);
    expect((await post('m-4', BODY, [rotated])).status).toBe(200);
    expect(fake.received.map((r) => r.signatureValid)).toEqual([true, true, false, true]);
  });

  it('answers the planned statuses and headers in order, then the default', async () => {
    fake.respondWith([503, { status: 429, headers: { 'Retry-After': '7' } }, 410]);
    const first = await post('m-1', BODY, [current]);
    const second = await post('m-1', BODY, [current]);
    const third = await post('m-1', BODY, [current]);
    const fourth = await post('m-1', BODY, [current]);
    expect([first.status, second.status, third.status, fourth.status]).toEqual([503, 429, 410, 200]);
    expect(second.headers.get('retry-after')).toBe('7');
    expect(fake.received.map((r) => r.status)).toEqual([503, 429, 410, 200]);
    expect(fake.uniqueIds()).toEqual(new Set(['m-1']));
  });

  it('keeps the plan for genuine requests when a forged one arrives', async () => {
    fake.respondWith([500]);
    expect((await post('forged', BODY, [rotated])).status).toBe(401);
    expect((await post('genuine', BODY, [current])).status).toBe(500);
  });

  it('uses the default status it is given', async () => {
    fake.setDefault(502);
    expect((await post('m-1', BODY, [current])).status).toBe(502);
    expect(fake.deliveredBodies().size).toBe(0);
  });

  it('keeps the first accepted body per id', async () => {
    await post('m-1', BODY, [current]);
    await post('m-1', '{"other":true}', [current]);
    await post('m-2', '{}', [current]);
    expect(fake.deliveredBodies()).toEqual(
      new Map([
        ['m-1', BODY],
        ['m-2', '{}'],
      ]),
    );
    fake.clearReceived();
    expect(fake.received).toHaveLength(0);
  });

  it('records a delayed request on arrival and drops its response on close', async () => {
    fake.respondWith([{ status: 200, delayMs: 30_000 }]);
    let settled = false;
    const pending = post('slow', BODY, [current]).then(
      () => (settled = true),
      () => 'aborted' as const,
    );
    await fake.waitFor(() => fake.received.length === 1, 5_000);
    expect(settled).toBe(false);
    await fake.close();
    expect(await pending).toBe('aborted');
  });

  it('rejects waitFor once its timeout passes', async () => {
    await expect(fake.waitFor(() => false, 30)).rejects.toThrow(/timed out after 30 ms/);
  });

  it('refuses a status outside 200..599', () => {
    expect(() => fake.respondWith([200, 99])).toThrow(RangeError);
    expect(() => fake.setDefault(600)).toThrow(RangeError);
  });

  it('without secrets answers by plan and marks nothing as verified', async () => {
    const open = await FakeDownstream.start({ latencyMs: 5 });
    try {
      const res = await fetch(open.url, { method: 'POST', body: 'plain' });
      expect(res.status).toBe(200);
      expect(open.received[0]).toMatchObject({ body: 'plain', signatureValid: false, status: 200 });
    } finally {
      await open.close();
    }
  });
});
