import { InvalidInputError } from '../src/common/domain.errors';
import { validateEnv } from '../src/config/env.validation';
import { OpenedDestination, OutgoingEvent } from '../src/delivery/senders/destination-sender';
import { SentinelSender } from '../src/delivery/senders/sentinel.sender';
import { DEFAULT_AUTHORITY_HOST, SENTINEL_SETTINGS } from '../src/delivery/senders/sentinel.settings';
import { FAKE_SENTINEL_MAX_BYTES, FakeSentinel, startFakeSentinel } from './fakes/fake-sentinel';
import { testEnv } from './setup/test-app';
import { openedDestination } from './setup/opened-destination';

const TENANT = '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
const CLIENT = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const SECRET = 'Qx8~sentinel.client-secret_0123456789';
const DCR = `dcr-${'0123456789abcdef'.repeat(2)}`;
const STREAM = 'Custom-LaceworkAlerts_CL';

/** A body a parse and re-encode would change: a big integer, escapes, non-ASCII text, a trailing-zero decimal. */
const TRICKY_BODY =
  '{"alertId":967278,"big":123456789012345678901234567890,"ratio":2.50,"text":"caf\\u00e9 é ✓ \\"q\\" \\/",' +
  '"nested":{"list":[1,1e3,-0.0,null,true]}}';

function sender(): SentinelSender {
  return new SentinelSender(validateEnv(testEnv('postgres://unused@127.0.0.1/unused')));
}

function destination(
  fake: FakeSentinel,
  overrides: Record<string, unknown> = {},
  id = 'dest-1',
): OpenedDestination {
  const input = {
    tenantId: TENANT,
    clientId: CLIENT,
    clientSecret: SECRET,
    dcrImmutableId: DCR,
    streamName: STREAM,
    authorityHost: fake.authorityHost,
    ...overrides,
  };
  return openedDestination(SENTINEL_SETTINGS, fake.url, input, { id });
}

function event(n: number, body = `{"alertId":${n},"n":${n}}`): OutgoingEvent {
  return {
    deliveryId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    webhookId: `lw_int_${n}_v1`,
    integrationId: 'int-1',
    alertId: String(n),
    version: 1,
    severity: 'High',
    timeMs: Date.UTC(2022, 8, 29, 16, 0, 0, n),
    body,
    consoleUrl: n % 2 === 0 ? `https://acme.lacework.net/ui/investigation/monitor/AlertInbox/${n}` : null,
  };
}

function events(count: number, from = 1): OutgoingEvent[] {
  return Array.from({ length: count }, (_, i) => event(from + i));
}

/** A body of about `bytes` bytes. */
function bigBody(n: number, bytes: number): string {
  const head = `{"alertId":${n},"pad":"`;
  return `${head}${'x'.repeat(Math.max(0, bytes - head.length - 2))}"}`;
}

describe('SentinelSender against a fake Entra ID and Logs Ingestion API', () => {
  let fake: FakeSentinel;

  beforeEach(async () => {
    fake = await startFakeSentinel({
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: SECRET,
      dcrImmutableId: DCR,
      streamName: STREAM,
    });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('delivers rows whose Alert is the body byte for byte, with our columns beside it', async () => {
    const batch = [event(1, TRICKY_BODY), event(2), event(3)];
    const answer = await sender().sendBatch(destination(fake), batch);

    expect(answer.outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }, { kind: 'delivered' }]);
    expect(answer).toMatchObject({ status: 204, pause: null });
    expect(answer.summary).toBe('the Logs Ingestion API accepted all 3 events (1 request, HTTP 204)');
    expect(fake.alerts).toEqual(batch.map((e) => e.body));
    expect(fake.rows[0]).toMatchObject({
      timeGenerated: '2022-09-29T16:00:00.001Z',
      alertId: '1',
      alertVersion: 1,
      severity: 'High',
      deliveryId: batch[0].deliveryId,
      consoleUrl: null,
    });
    expect(fake.rows[1].consoleUrl).toBe(batch[1].consoleUrl);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]).toMatchObject({
      path: `/dataCollectionRules/${DCR}/streams/${STREAM}`,
      contentType: 'application/json',
    });
    expect(fake.calls[0].requestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(fake.tokenRequests).toEqual([
      expect.objectContaining({
        tenant: TENANT,
        clientId: CLIENT,
        grantType: 'client_credentials',
        scope: 'https://monitor.azure.com//.default',
        secretMatched: true,
      }),
    ]);
  });

  it('asks for one token for many batches, and one for concurrent batches', async () => {
    const send = sender();
    const dest = destination(fake);
    await Promise.all([send.sendBatch(dest, events(2, 1)), send.sendBatch(dest, events(2, 3))]);
    for (let i = 0; i < 5; i += 1) {
      const answer = await send.sendBatch(dest, events(3, 10 + i * 3));
      expect(answer.outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    }
    expect(fake.calls).toHaveLength(7);
    expect(fake.tokenRequests).toHaveLength(1);
    expect(fake.rows).toHaveLength(19);
  });

  it('renews a token shortly before it expires, without ever being refused', async () => {
    // A 2 s token is renewed at half its life (the 5 minute margin does not fit in it).
    fake.setExpiresIn(2);
    const send = sender();
    const dest = destination(fake);
    await send.sendBatch(dest, events(1, 1));
    await send.sendBatch(dest, events(1, 2));
    expect(fake.tokenRequests).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await send.sendBatch(dest, events(1, 3));
    expect(fake.tokenRequests).toHaveLength(2);
    expect(fake.calls.map((c) => c.status)).toEqual([204, 204, 204]);
    expect(fake.calls[2].token).not.toBe(fake.calls[0].token);
  });

  it('asks for a new token when the secret changes', async () => {
    const send = sender();
    await send.sendBatch(destination(fake), events(1, 1));
    const rotated = destination(fake, { clientSecret: 'another-secret' });
    const answer = await send.sendBatch(rotated, events(1, 2));
    expect(fake.tokenRequests).toHaveLength(2);
    expect(fake.tokenRequests[1].secretMatched).toBe(false);
    expect(answer.pause?.reason).toContain('AADSTS7000215');
  });

  it('after a 401 mid-way, fetches one fresh token and delivers at once', async () => {
    const send = sender();
    const dest = destination(fake);
    await send.sendBatch(dest, events(2, 1));
    fake.revokeTokens();
    const answer = await send.sendBatch(dest, events(2, 3));

    expect(answer.outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
    expect(fake.calls.map((c) => c.status)).toEqual([204, 401, 204]);
    expect(fake.tokenRequests).toHaveLength(2);
    expect(fake.alerts).toEqual(events(4).map((e) => e.body));
  });

  it('retries later when even a fresh token is refused', async () => {
    // Tokens that are already expired when issued: the endpoint answers 401 to each.
    fake.setExpiresIn(0);
    const answer = await sender().sendBatch(destination(fake), events(2));
    expect(fake.calls.map((c) => c.status)).toEqual([401, 401]);
    expect(fake.tokenRequests).toHaveLength(2);
    expect(answer.pause).toBeNull();
    expect(answer.outcomes).toEqual([
      expect.objectContaining({
        kind: 'retry',
        error: expect.stringContaining('freshly issued token') as string,
      }),
      expect.objectContaining({ kind: 'retry' }),
    ]);
  });

  it('splits a batch above 1 MB into several calls, each within the limit, and rejects an event that alone exceeds it', async () => {
    const batch = [1, 2, 3, 4, 5, 6, 7].map((n) => event(n, bigBody(n, 300_000)));
    const tooBig = event(8, bigBody(8, FAKE_SENTINEL_MAX_BYTES));
    const answer = await sender().sendBatch(destination(fake), [
      ...batch.slice(0, 3),
      tooBig,
      ...batch.slice(3),
    ]);

    expect(answer.outcomes[3]).toEqual({
      kind: 'rejected',
      error: expect.stringMatching(
        /^the row is \d+ bytes, above the Logs Ingestion API's 1 MB per call$/,
      ) as string,
    });
    expect(answer.outcomes.filter((o) => o.kind === 'delivered')).toHaveLength(7);
    expect(fake.calls.length).toBeGreaterThanOrEqual(3);
    for (const call of fake.calls) {
      expect(call.status).toBe(204);
      expect(call.bytes).toBeLessThanOrEqual(FAKE_SENTINEL_MAX_BYTES);
    }
    expect(fake.alerts).toEqual(batch.map((e) => e.body));
  });

  it('on 413 sends the call again in halves, and rejects an event the endpoint refuses alone', async () => {
    await fake.close();
    fake = await startFakeSentinel({
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: SECRET,
      dcrImmutableId: DCR,
      streamName: STREAM,
      maxBytes: 250_000,
    });
    const batch = [1, 2, 3, 4].map((n) => event(n, bigBody(n, 100_000)));
    const large = event(5, bigBody(5, 300_000));
    const answer = await sender().sendBatch(destination(fake), [...batch, large]);

    expect(answer.outcomes.slice(0, 4)).toEqual(batch.map(() => ({ kind: 'delivered' })));
    expect(answer.outcomes[4]).toEqual({
      kind: 'rejected',
      error: expect.stringMatching(
        /^the Logs Ingestion API refused the call as too large: ContentLengthLimitExceeded/,
      ) as string,
    });
    // [1..5] 413 → [1,2,3] 413 → [1,2] 204 → [3] 204 → [4,5] 413 → [4] 204 → [5] 413.
    expect(fake.calls.map((c) => [c.status, c.rows])).toEqual([
      [413, 0],
      [413, 0],
      [204, 2],
      [204, 1],
      [413, 0],
      [204, 1],
      [413, 0],
    ]);
    expect(fake.alerts).toEqual(batch.map((e) => e.body));
  });

  it('retries after Retry-After on 429, and the events not yet sent with it', async () => {
    fake.failNext(1, 429, 7);
    const send = sender();
    const dest = destination(fake);
    const batch = [1, 2, 3].map((n) => event(n, bigBody(n, 600_000)));
    const throttled = await send.sendBatch(dest, batch);

    expect(throttled.pause).toBeNull();
    expect(throttled.status).toBe(429);
    expect(throttled.outcomes).toEqual(
      batch.map(() => ({
        kind: 'retry',
        error: 'the Logs Ingestion API answered HTTP 429: TooManyRequests: Try again later.',
        retryAfterMs: 7_000,
      })),
    );
    expect(fake.calls).toHaveLength(1);
    expect(fake.rows).toHaveLength(0);

    const again = await send.sendBatch(dest, batch);
    expect(again.outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.alerts).toEqual(batch.map((e) => e.body));
  });

  it('retries on 503 with Retry-After and on a network error', async () => {
    fake.failNext(1, 503, 3);
    const unavailable = await sender().sendBatch(destination(fake), events(1));
    expect(unavailable.outcomes).toEqual([expect.objectContaining({ kind: 'retry', retryAfterMs: 3_000 })]);

    const closed = { ...destination(fake), url: 'http://127.0.0.1:9' };
    const unreachable = await sender().sendBatch(closed, events(1));
    expect(unreachable.status).toBeNull();
    expect(unreachable.outcomes).toEqual([
      expect.objectContaining({
        kind: 'retry',
        error: expect.stringMatching(/^no answer: network error/) as string,
      }),
    ]);
  });

  it('retries when the token endpoint fails for a moment, then delivers', async () => {
    fake.failTokenNext(1, 503, 4);
    const send = sender();
    const failed = await send.sendBatch(destination(fake), events(2));
    expect(failed.pause).toBeNull();
    expect(failed.status).toBe(503);
    expect(failed.outcomes).toEqual(
      events(2).map(() => ({
        kind: 'retry',
        error:
          'the token endpoint answered HTTP 503: temporarily_unavailable AADSTS50196: The server is busy.',
        retryAfterMs: 4_000,
      })),
    );
    expect(fake.calls).toHaveLength(0);

    const again = await send.sendBatch(destination(fake), events(2));
    expect(again.outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
    expect(fake.tokenRequests.map((t) => t.status)).toEqual([503, 200]);
  });

  it('pauses on 403 when the app lacks the role on the DCR', async () => {
    fake.setRoleAssigned(false);
    const answer = await sender().sendBatch(destination(fake), events(2));
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }, { kind: 'not_sent' }]);
    expect(answer.status).toBe(403);
    expect(answer.pause?.reason).toMatch(
      new RegExp(
        `^the app lacks Monitoring Metrics Publisher on the DCR ${DCR}: OperationFailed: .*does not have access.*\\(HTTP 403\\)$`,
      ),
    );
    expect(answer.summary).toBe(answer.pause?.reason);
  });

  it('pauses on 404 for a stream the DCR does not declare', async () => {
    const answer = await sender().sendBatch(destination(fake, { streamName: 'Custom-Other_CL' }), events(1));
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }]);
    expect(answer.pause?.reason).toContain('stream Custom-Other_CL');
    expect(answer.pause?.reason).toContain('(HTTP 404)');
  });

  it('pauses on a wrong client secret, in words that never include the secret', async () => {
    const wrong = 'Wr0ng~secret.value-that-must-not-leak';
    const answer = await sender().sendBatch(destination(fake, { clientSecret: wrong }), events(2));
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }, { kind: 'not_sent' }]);
    expect(answer.status).toBe(401);
    expect(answer.pause?.reason).toBe(
      `Microsoft Entra ID refused the app's credentials for tenant ${TENANT}: ` +
        'invalid_client AADSTS7000215: Invalid client secret provided. (HTTP 401)',
    );
    expect(JSON.stringify(answer)).not.toContain(wrong);
    expect(fake.calls).toHaveLength(0);
  });

  it('pauses on an unknown client id', async () => {
    const answer = await sender().sendBatch(
      destination(fake, { clientId: '99999999-9999-4999-8999-999999999999' }),
      events(1),
    );
    expect(answer.pause?.reason).toContain('unauthorized_client AADSTS700016');
    expect(answer.status).toBe(400);
  });

  it('isolates a bad event: the call is sent again event by event, only the bad one is rejected', async () => {
    fake.rejectAlertWhen((alert) => alert.includes('"poison":true'));
    const batch = [event(1), event(2, '{"alertId":2,"poison":true}'), event(3), event(4)];
    const answer = await sender().sendBatch(destination(fake), batch);

    expect(answer.outcomes).toEqual([
      { kind: 'delivered' },
      {
        kind: 'rejected',
        error:
          "the Logs Ingestion API refused the data: InvalidPayload: Row 0 does not match the stream's declaration. (HTTP 400)",
      },
      { kind: 'delivered' },
      { kind: 'delivered' },
    ]);
    expect(fake.calls.map((c) => [c.status, c.rows])).toEqual([
      [400, 4],
      [204, 1],
      [400, 1],
      [204, 1],
      [204, 1],
    ]);
    expect(fake.alerts).toEqual([batch[0].body, batch[2].body, batch[3].body]);
    expect(answer.summary).toContain('3 of 4 delivered; 1 rejected');
  });

  it('pauses, sending nothing, when the stored settings are no longer valid', async () => {
    const dest = destination(fake);
    const broken = { ...dest, settings: { ...dest.settings, dcrImmutableId: 'dcr-short' } };
    const answer = await sender().sendBatch(broken, events(1));
    expect(answer.pause?.reason).toContain('settings.dcrImmutableId');
    expect(fake.tokenRequests).toHaveLength(0);
  });
});

describe('SENTINEL_SETTINGS', () => {
  const valid = {
    tenantId: TENANT,
    clientId: CLIENT,
    clientSecret: SECRET,
    dcrImmutableId: DCR,
    streamName: STREAM,
  };

  function fieldOf(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      if (error instanceof InvalidInputError) {
        return `${error.field} ${error.message}`;
      }
      throw error;
    }
    throw new Error('accepted');
  }

  it('splits the secret from the settings and defaults the authority host', () => {
    expect(SENTINEL_SETTINGS.parse({ ...valid, tenantId: 'Contoso.onmicrosoft.com' })).toEqual({
      settings: {
        tenantId: 'contoso.onmicrosoft.com',
        clientId: CLIENT,
        dcrImmutableId: DCR,
        streamName: STREAM,
        authorityHost: DEFAULT_AUTHORITY_HOST,
      },
      credentials: { clientSecret: SECRET },
    });
    expect(
      SENTINEL_SETTINGS.parse({ ...valid, authorityHost: 'https://login.microsoftonline.us/' }).settings,
    ).toMatchObject({
      authorityHost: 'https://login.microsoftonline.us',
    });
    expect(SENTINEL_SETTINGS.targetFields).toEqual(['tenantId', 'clientId', 'authorityHost']);
    expect(SENTINEL_SETTINGS.batch).toEqual({
      defaultMaxEvents: 500,
      maxMaxEvents: 10_000,
      defaultMaxBytes: 1_000_000,
      maxMaxBytes: 1_000_000,
    });
  });

  it.each([
    [{ tenantId: undefined }, 'settings.tenantId'],
    [{ tenantId: 'not a tenant' }, 'settings.tenantId'],
    [{ clientId: 'abc' }, 'settings.clientId'],
    [{ clientSecret: undefined }, 'settings.clientSecret'],
    [{ clientSecret: '' }, 'settings.clientSecret'],
    [{ dcrImmutableId: 'dcr-123' }, 'settings.dcrImmutableId'],
    [{ dcrImmutableId: `dcr-${'g'.repeat(32)}` }, 'settings.dcrImmutableId'],
    [{ streamName: 'LaceworkAlerts_CL' }, 'settings.streamName'],
    [{ streamName: 'Custom-Bad Name' }, 'settings.streamName'],
    [{ authorityHost: 'http://login.microsoftonline.com' }, 'settings.authorityHost'],
    [{ authorityHost: 'https://login.microsoftonline.com/tenant' }, 'settings.authorityHost'],
    [{ authorityHost: 42 }, 'settings.authorityHost'],
    [{ workspaceId: 'x' }, 'settings.workspaceId'],
  ])('refuses %j naming %s', (change, field) => {
    expect(fieldOf(() => SENTINEL_SETTINGS.parse({ ...valid, ...change }))).toMatch(new RegExp(`^${field} `));
  });

  it('takes an https endpoint origin, plain http only on loopback', () => {
    expect(SENTINEL_SETTINGS.checkUrl('https://my-dce.eastus-1.ingest.monitor.azure.com/')).toBe(
      'https://my-dce.eastus-1.ingest.monitor.azure.com',
    );
    expect(SENTINEL_SETTINGS.checkUrl('http://127.0.0.5:8080')).toBe('http://127.0.0.5:8080');
    expect(SENTINEL_SETTINGS.checkUrl('http://localhost:8080')).toBe('http://localhost:8080');
    expect(fieldOf(() => SENTINEL_SETTINGS.checkUrl('http://my-dce.ingest.monitor.azure.com'))).toBe(
      'url url: must use https (plain http only to a loopback host)',
    );
    expect(fieldOf(() => SENTINEL_SETTINGS.checkUrl('http://10.0.0.1'))).toContain('must use https');
    expect(
      fieldOf(() => SENTINEL_SETTINGS.checkUrl('https://dce.example.com/dataCollectionRules')),
    ).toContain('without a path or query');
    expect(fieldOf(() => SENTINEL_SETTINGS.checkUrl('https://dce.example.com/?a=1'))).toContain(
      'without a path or query',
    );
    expect(fieldOf(() => SENTINEL_SETTINGS.checkUrl('https://169.254.169.254'))).toContain('metadata');
  });
});
