import { InvalidInputError } from '../src/common/domain.errors';
import { validateEnv } from '../src/config/env.validation';
import { OpenedDestination, OutgoingEvent } from '../src/delivery/senders/destination-sender';
import { SecOpsSender } from '../src/delivery/senders/secops.sender';
import { SECOPS_SETTINGS } from '../src/delivery/senders/secops.settings';
import { FAKE_SECOPS_MAX_BYTES, FakeSecOps, startFakeSecOps } from './fakes/fake-secops';
import { testEnv } from './setup/test-app';
import { openedDestination } from './setup/opened-destination';

const API_KEY = 'AIzaSyFakeKey-0123456789abcdefghijklmnopq';
const FEED_SECRET = 'feed-secret-9f8e7d6c5b4a39281706f5e4d3c2b1a0';

/** A body a parse and re-encode would change: a big integer, escapes, non-ASCII text, a trailing-zero decimal. */
const TRICKY_BODY =
  '{"alertId":967278,"big":123456789012345678901234567890,"ratio":2.50,"text":"caf\\u00e9 é ✓ \\"q\\" \\/",' +
  '"nested":{"list":[1,1e3,-0.0,null,true]}}';

function sender(): SecOpsSender {
  return new SecOpsSender(validateEnv(testEnv('postgres://unused@127.0.0.1/unused')));
}

function destination(fake: FakeSecOps, credentials: Record<string, unknown> = {}): OpenedDestination {
  return openedDestination(SECOPS_SETTINGS, fake.url, {
    apiKey: API_KEY,
    secret: FEED_SECRET,
    ...credentials,
  });
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
    consoleUrl: null,
  };
}

function events(count: number, from = 1): OutgoingEvent[] {
  return Array.from({ length: count }, (_, i) => event(from + i));
}

function bigBody(n: number, bytes: number): string {
  const head = `{"alertId":${n},"pad":"`;
  return `${head}${'x'.repeat(Math.max(0, bytes - head.length - 2))}"}`;
}

describe('SecOpsSender against a fake importPushLogs feed', () => {
  let fake: FakeSecOps;

  beforeEach(async () => {
    fake = await startFakeSecOps({ apiKey: API_KEY, secret: FEED_SECRET });
  });

  afterEach(async () => {
    await fake.close();
  });

  it('delivers the bodies byte for byte, newline-separated in one request, the credentials in headers', async () => {
    const batch = [event(1, TRICKY_BODY), event(2), event(3)];
    const answer = await sender().sendBatch(destination(fake), batch);

    expect(answer.outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }, { kind: 'delivered' }]);
    expect(answer).toMatchObject({ status: 200, pause: null });
    expect(answer.summary).toBe('Google SecOps accepted all 3 events (1 request, HTTP 200)');
    expect(fake.lines).toEqual(batch.map((e) => e.body));
    expect(fake.requests).toEqual([
      expect.objectContaining({
        status: 200,
        lines: 3,
        bytes: Buffer.byteLength(batch.map((e) => e.body).join('\n')),
        contentType: 'application/json',
        apiKeyMatched: true,
        secretMatched: true,
        queryCredentials: false,
      }),
    ]);
  });

  it('splits a batch above 4 MB into requests within the limit, and rejects an event that alone exceeds it', async () => {
    const batch = [1, 2, 3, 4, 5].map((n) => event(n, bigBody(n, 1_500_000)));
    const tooBig = event(6, bigBody(6, FAKE_SECOPS_MAX_BYTES + 1));
    const answer = await sender().sendBatch(destination(fake), [tooBig, ...batch]);

    expect(answer.outcomes[0]).toEqual({
      kind: 'rejected',
      error: "the event is 4000001 bytes, above Google SecOps's 4 MB per request",
    });
    expect(answer.outcomes.slice(1)).toEqual(batch.map(() => ({ kind: 'delivered' })));
    expect(fake.requests.map((r) => [r.status, r.lines])).toEqual([
      [200, 2],
      [200, 2],
      [200, 1],
    ]);
    for (const request of fake.requests) {
      expect(request.bytes).toBeLessThanOrEqual(FAKE_SECOPS_MAX_BYTES);
    }
    expect(fake.lines).toEqual(batch.map((e) => e.body));
  });

  it('sends an event of exactly 4,000,000 bytes alone', async () => {
    const exact = event(1, bigBody(1, FAKE_SECOPS_MAX_BYTES));
    const answer = await sender().sendBatch(destination(fake), [exact, event(2)]);
    expect(answer.outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
    expect(fake.requests.map((r) => r.bytes)).toEqual([
      FAKE_SECOPS_MAX_BYTES,
      Buffer.byteLength(event(2).body),
    ]);
  });

  it('retries after Retry-After on 429, and the events not yet sent with it', async () => {
    fake.failNext(1, 429, 11);
    const send = sender();
    const dest = destination(fake);
    const batch = [1, 2, 3].map((n) => event(n, bigBody(n, 2_500_000)));
    const throttled = await send.sendBatch(dest, batch);

    expect(throttled.pause).toBeNull();
    expect(throttled.status).toBe(429);
    expect(throttled.outcomes).toEqual(
      batch.map(() => ({
        kind: 'retry',
        error:
          'Google SecOps answered HTTP 429: RESOURCE_EXHAUSTED: The service is currently unavailable or rate limited.',
        retryAfterMs: 11_000,
      })),
    );
    expect(fake.requests).toHaveLength(1);
    expect(fake.lines).toHaveLength(0);

    const again = await send.sendBatch(dest, batch);
    expect(again.outcomes.every((o) => o.kind === 'delivered')).toBe(true);
    expect(fake.lines).toEqual(batch.map((e) => e.body));
  });

  it('retries on 503 and on a network error', async () => {
    fake.failNext(1, 503);
    const unavailable = await sender().sendBatch(destination(fake), events(2));
    expect(unavailable.outcomes).toEqual([
      expect.objectContaining({ kind: 'retry', retryAfterMs: null }),
      expect.objectContaining({ kind: 'retry' }),
    ]);

    const closed = { ...destination(fake), url: fake.url.replace(/:\d+\//, ':9/') };
    const unreachable = await sender().sendBatch(closed, events(1));
    expect(unreachable.status).toBeNull();
    expect(unreachable.outcomes).toEqual([
      expect.objectContaining({
        kind: 'retry',
        error: expect.stringMatching(/^no answer: network error/) as string,
      }),
    ]);
  });

  it('pauses on a wrong API key (401) and on a wrong feed secret (403), never showing either', async () => {
    const wrongKey = 'AIzaSyWrongKey-must-not-leak-0000000000';
    const keyAnswer = await sender().sendBatch(destination(fake, { apiKey: wrongKey }), events(2));
    expect(keyAnswer.outcomes).toEqual([{ kind: 'not_sent' }, { kind: 'not_sent' }]);
    expect(keyAnswer.status).toBe(401);
    expect(keyAnswer.pause?.reason).toMatch(
      /^Google SecOps refused the API key or the feed secret: UNAUTHENTICATED: .* \(HTTP 401\)$/,
    );

    const wrongSecret = 'wrong-feed-secret-must-not-leak';
    const secretAnswer = await sender().sendBatch(destination(fake, { secret: wrongSecret }), events(1));
    expect(secretAnswer.status).toBe(403);
    expect(secretAnswer.pause?.reason).toContain('PERMISSION_DENIED');
    for (const text of [JSON.stringify(keyAnswer), JSON.stringify(secretAnswer)]) {
      expect(text).not.toContain(wrongKey);
      expect(text).not.toContain(wrongSecret);
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(FEED_SECRET);
    }
    expect(fake.lines).toHaveLength(0);
  });

  it("pauses on Google's 400 API_KEY_INVALID instead of taking it for bad data", async () => {
    await fake.close();
    fake = await startFakeSecOps({
      apiKey: API_KEY,
      secret: FEED_SECRET,
      invalidKeyAnswer: 'api_key_invalid',
    });
    const answer = await sender().sendBatch(destination(fake, { apiKey: 'AIzaSyUnknown' }), events(3));
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }, { kind: 'not_sent' }, { kind: 'not_sent' }]);
    expect(answer.pause?.reason).toContain('INVALID_ARGUMENT: API key not valid');
    expect(fake.requests).toHaveLength(1);
  });

  it('pauses on 404 for a feed that does not exist', async () => {
    const dest = {
      ...destination(fake),
      url: fake.url.replace('feed-1:importPushLogs', 'feed-2:importPushLogs'),
    };
    const answer = await sender().sendBatch(dest, events(1));
    expect(answer.status).toBe(404);
    expect(answer.pause?.reason).toMatch(
      /^Google SecOps has no such feed at this URL: NOT_FOUND: .* \(HTTP 404\)$/,
    );
  });

  it('isolates a bad event: the request is sent again event by event, only the bad one is rejected', async () => {
    fake.rejectLineWhen((line) => line.includes('"poison":true'));
    const batch = [event(1), event(2), event(3, '{"alertId":3,"poison":true}'), event(4)];
    const answer = await sender().sendBatch(destination(fake), batch);

    expect(answer.outcomes).toEqual([
      { kind: 'delivered' },
      { kind: 'delivered' },
      {
        kind: 'rejected',
        error:
          'Google SecOps refused the data: INVALID_ARGUMENT: Request contains an invalid argument: entry 0 could not be imported. (HTTP 400)',
      },
      { kind: 'delivered' },
    ]);
    expect(fake.requests.map((r) => [r.status, r.lines])).toEqual([
      [400, 4],
      [200, 1],
      [200, 1],
      [400, 1],
      [200, 1],
    ]);
    expect(fake.lines).toEqual([batch[0].body, batch[1].body, batch[3].body]);
    expect(answer.summary).toContain('3 of 4 delivered; 1 rejected');
  });

  it('pauses on a stale stored URL that carries the key in its query, sending nothing', async () => {
    const dest = { ...destination(fake), url: `${fake.url}?key=${API_KEY}` };
    const answer = await sender().sendBatch(dest, events(1));
    expect(answer.pause?.reason).toContain('must not carry key=');
    expect(answer.pause?.reason).not.toContain(API_KEY);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('SECOPS_SETTINGS', () => {
  function refusal(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      if (error instanceof InvalidInputError) {
        return error.message;
      }
      throw error;
    }
    throw new Error('accepted');
  }

  const feed =
    'https://us-chronicle.googleapis.com/v1alpha/projects/123/locations/us/instances/abc/feeds/f-1:importPushLogs';

  it('takes the feed endpoint URL, with : or %3A before importPushLogs', () => {
    expect(SECOPS_SETTINGS.checkUrl(feed)).toBe(feed);
    expect(SECOPS_SETTINGS.checkUrl(feed.replace(':importPushLogs', '%3AimportPushLogs'))).toBe(
      feed.replace(':importPushLogs', '%3AimportPushLogs'),
    );
    expect(SECOPS_SETTINGS.checkUrl('http://127.0.0.1:8080/feeds/f:importPushLogs')).toBe(
      'http://127.0.0.1:8080/feeds/f:importPushLogs',
    );
    expect(SECOPS_SETTINGS.exampleUrl).toMatch(/:importPushLogs$/);
    expect(() => SECOPS_SETTINGS.checkUrl(SECOPS_SETTINGS.exampleUrl)).not.toThrow();
  });

  it.each([
    [feed.replace('https:', 'http:'), 'url: must use https (plain http only to a loopback host)'],
    [feed.replace(':importPushLogs', ''), "url: must be the feed's endpoint URL, ending in :importPushLogs"],
    [`${feed}?key=AIzaX&secret=s`, 'url: must not carry key= or secret= in the query'],
    [`${feed}?Secret=s`, 'url: must not carry secret= in the query'],
    ['ftp://example.com/f:importPushLogs', 'url: must use http or https'],
  ])('refuses %s', (url, message) => {
    const said = refusal(() => SECOPS_SETTINGS.checkUrl(url));
    expect(said.startsWith(message)).toBe(true);
    expect(said).not.toContain('AIzaX');
  });

  it('says where the key and secret go instead of the query', () => {
    expect(refusal(() => SECOPS_SETTINGS.checkUrl(`${feed}?key=k`))).toContain(
      'give the API key as settings.apiKey and the feed secret as settings.secret',
    );
  });

  it('keeps the API key and secret as credentials only, and names a missing or unknown field', () => {
    expect(SECOPS_SETTINGS.parse({ apiKey: API_KEY, secret: FEED_SECRET })).toEqual({
      settings: {},
      credentials: { apiKey: API_KEY, secret: FEED_SECRET },
    });
    expect(refusal(() => SECOPS_SETTINGS.parse({ secret: FEED_SECRET }))).toBe(
      'settings.apiKey: is required',
    );
    expect(refusal(() => SECOPS_SETTINGS.parse({ apiKey: API_KEY }))).toBe('settings.secret: is required');
    expect(refusal(() => SECOPS_SETTINGS.parse({ apiKey: API_KEY, secret: 7 }))).toBe(
      'settings.secret: must be a string',
    );
    expect(
      refusal(() => SECOPS_SETTINGS.parse({ apiKey: API_KEY, secret: FEED_SECRET, logType: 'X' })),
    ).toMatch(/^settings\.logType: is not a setting of this kind/);
    expect(SECOPS_SETTINGS.secretFields).toEqual(['apiKey', 'secret']);
    expect(SECOPS_SETTINGS.requiredSecretFields).toEqual(['apiKey', 'secret']);
    expect(SECOPS_SETTINGS.batch).toEqual({
      defaultMaxEvents: 500,
      maxMaxEvents: 10_000,
      defaultMaxBytes: 4_000_000,
      maxMaxBytes: 4_000_000,
    });
  });
});
