import { InvalidInputError } from '../src/common/domain.errors';
import { validateEnv } from '../src/config/env.validation';
import type {
  BatchLimits,
  OpenedDestination,
  OutgoingEvent,
} from '../src/delivery/senders/destination-sender';
import { SplunkHecSender, splunkEnvelope } from '../src/delivery/senders/splunk-hec.sender';
import { readSplunkHecSettings, SPLUNK_HEC_SETTINGS } from '../src/delivery/senders/splunk-hec.settings';
import { FakeSplunkHec, splitConcatenatedObjects, startFakeSplunkHec } from './fakes/fake-splunk-hec';
import { testEnv } from './setup/test-app';
import { openedDestination } from './setup/opened-destination';

const TOKEN = '5c2d3a1e-7f4b-4e0a-9a55-1b2c3d4e5f60';
const ACK_TOKEN = '0b7f6c1a-2d3e-4f50-8a9b-c0d1e2f3a4b5';
const RESTRICTED_TOKEN = 'c3d4e5f6-a7b8-4c9d-8e0f-a1b2c3d4e5f6';
const UNKNOWN_TOKEN = 'ffffffff-0000-4000-8000-123456789abc';
const EVENT_PATH = '/services/collector/event';

function sender(overrides: Record<string, string> = {}): SplunkHecSender {
  return new SplunkHecSender(
    validateEnv(testEnv('postgres://unused@127.0.0.1/unused', { DELIVERY_TIMEOUT_MS: '5000', ...overrides })),
  );
}

/** A destination as the worker opens it. */
function destination(
  url: string,
  settings: Record<string, unknown> = {},
  batch: Partial<BatchLimits> = {},
): OpenedDestination {
  return openedDestination(
    SPLUNK_HEC_SETTINGS,
    url,
    { token: TOKEN, ...settings },
    { name: 'splunk', batch },
  );
}

function event(n: number, body?: string): OutgoingEvent {
  return {
    deliveryId: `delivery-${n}`,
    webhookId: `lw_${n}_v1`,
    integrationId: 'integration-1',
    alertId: String(1000 + n),
    version: 1,
    severity: 'High',
    timeMs: 1_664_467_200_000 + n * 1001,
    body: body ?? `{"alertId":${1000 + n},"title":"alert ${n}"}`,
    consoleUrl: null,
  };
}

function events(count: number): OutgoingEvent[] {
  return Array.from({ length: count }, (_, n) => event(n));
}

function codeOf(reply: string): number {
  return (JSON.parse(reply) as { code: number }).code;
}

describe('SplunkHecSender against a fake HTTP Event Collector', () => {
  let hec: FakeSplunkHec;

  beforeEach(async () => {
    hec = await startFakeSplunkHec({
      tokens: [
        { token: TOKEN },
        { token: ACK_TOKEN, useAck: true },
        { token: RESTRICTED_TOKEN, indexes: ['security'], defaultIndex: 'security' },
      ],
    });
  });

  afterEach(async () => {
    await hec.close();
  });

  it('sends each body byte for byte in an envelope with time, host, source, sourcetype and index', async () => {
    // Digits past 2^53, escapes and characters outside ASCII must all arrive untouched.
    const bodies = [
      '{"alertId":123456789012345678901234567890,"note":"caf\\u00e9 \\"quoted\\" é ✓ \\n","nested":{"a":[1,{"b":"}{"}]}}',
      '{"alertId":2,"amount":1.50,"exp":1e400,"empty":{}}',
    ];
    const dest = destination(hec.url, { index: 'sec', source: 'lacework', host: 'connector-1' });
    const sent = [event(0, bodies[0]), { ...event(1, bodies[1]), timeMs: 1_664_467_260_007 }];

    const answer = await sender().sendBatch(dest, sent);

    expect(answer.outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
    expect(answer).toMatchObject({ status: 200, pause: null });
    expect(answer.summary).toBe('Splunk HEC accepted 2 events (HTTP 200)');
    expect(hec.received.map((r) => r.rawEvent)).toEqual(bodies);
    expect(hec.received[0]).toMatchObject({
      path: EVENT_PATH,
      timeText: '1664467200.000',
      host: 'connector-1',
      source: 'lacework',
      sourcetype: 'lacework:alert',
      index: 'sec',
    });
    expect(hec.received[1].timeText).toBe('1664467260.007');
    expect(hec.received[1].time).toBeCloseTo(1664467260.007, 3);

    const [request] = hec.requests;
    expect(hec.requests).toHaveLength(1);
    expect(request.headers.authorization).toBe(`Splunk ${TOKEN}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-splunk-request-channel']).toBeUndefined();
    // Newline-separated envelopes, not an array, with the keys in the documented order.
    expect(request.body.startsWith('[')).toBe(false);
    expect(request.body).toBe(
      `{"time":1664467200.000,"host":"connector-1","source":"lacework","sourcetype":"lacework:alert","index":"sec","event":${bodies[0]}}\n` +
        `{"time":1664467260.007,"host":"connector-1","source":"lacework","sourcetype":"lacework:alert","index":"sec","event":${bodies[1]}}`,
    );
  });

  it('leaves out the optional keys it was not given, and the token default index applies', async () => {
    const answer = await sender().sendBatch(destination(hec.url, { sourcetype: 'custom:st' }), [event(7)]);

    expect(answer.outcomes).toEqual([{ kind: 'delivered' }]);
    expect(hec.requests[0].body).toBe(
      `{"time":1664467207.007,"sourcetype":"custom:st","event":${event(7).body}}`,
    );
    expect(hec.received[0]).toMatchObject({
      host: null,
      source: null,
      index: 'main',
      sourcetype: 'custom:st',
    });
  });

  it('sends a batch of 50 in one request', async () => {
    const batch = events(50);
    const answer = await sender().sendBatch(destination(hec.url), batch);

    expect(answer.outcomes).toEqual(batch.map(() => ({ kind: 'delivered' })));
    expect(hec.eventRequests()).toHaveLength(1);
    expect(hec.requests[0].body.split('\n')).toHaveLength(50);
    expect(hec.received.map((r) => r.rawEvent)).toEqual(batch.map((e) => e.body));
  });

  it.each([
    ['/services/collector', '/services/collector'],
    ['/services/collector/event/1.0', '/services/collector/event/1.0'],
    ['', EVENT_PATH],
  ])('delivers through the accepted path %j', async (path, expected) => {
    const answer = await sender().sendBatch(destination(`${hec.url}${path}`), [event(1)]);

    expect(answer.outcomes).toEqual([{ kind: 'delivered' }]);
    expect(hec.requests[0].path).toBe(expected);
    expect(hec.received).toHaveLength(1);
  });

  it('on invalid-event-number N: events before N delivered, N rejected, the rest not sent', async () => {
    const batch = events(6);
    batch[3] = event(3, '{"alertId":1003,"broken":}');

    const answer = await sender().sendBatch(destination(hec.url), batch);

    expect(hec.requests[0].status).toBe(400);
    expect(JSON.parse(hec.requests[0].reply)).toEqual({
      text: 'Invalid data format',
      code: 6,
      'invalid-event-number': 3,
    });
    expect(answer.outcomes).toEqual([
      { kind: 'delivered' },
      { kind: 'delivered' },
      { kind: 'delivered' },
      { kind: 'rejected', error: 'Splunk HEC code 6 Invalid data format (HTTP 400)' },
      { kind: 'not_sent' },
      { kind: 'not_sent' },
    ]);
    expect(answer.pause).toBeNull();
    expect(answer.summary).toBe(
      'Splunk HEC refused event 4 of 6 in the request: code 6 Invalid data format (HTTP 400)',
    );
    expect(hec.received.map((r) => r.rawEvent)).toEqual(batch.slice(0, 3).map((e) => e.body));
  });

  it('rejects a blank event with code 13 and keeps going when it is the last one', async () => {
    const batch = [event(0), event(1, '"   "')];
    const answer = await sender().sendBatch(destination(hec.url), batch);

    expect(answer.outcomes).toEqual([
      { kind: 'delivered' },
      { kind: 'rejected', error: 'Splunk HEC code 13 Event field cannot be blank (HTTP 400)' },
    ]);
    expect(hec.received).toHaveLength(1);
  });

  it('rejects every event of the request on a data error without invalid-event-number', async () => {
    hec.answerNext(1, 400, '{"text":"No data","code":5}');
    const answer = await sender().sendBatch(destination(hec.url), events(3));

    expect(answer.outcomes).toEqual(
      events(3).map(() => ({ kind: 'rejected', error: 'Splunk HEC code 5 No data (HTTP 400)' })),
    );
  });

  it('retries when the collector is busy, honouring Retry-After, and succeeds once it is not', async () => {
    hec.busyFor(1, 7);
    const dest = destination(hec.url);
    const first = await sender().sendBatch(dest, events(3));

    expect(first.status).toBe(503);
    expect(first.pause).toBeNull();
    expect(first.outcomes).toEqual(
      events(3).map(() => ({
        kind: 'retry',
        error: 'Splunk HEC code 9 Server is busy (HTTP 503)',
        retryAfterMs: 7000,
      })),
    );
    expect(hec.received).toHaveLength(0);

    const second = await sender().sendBatch(dest, events(3));
    expect(second.outcomes).toEqual(events(3).map(() => ({ kind: 'delivered' })));
    expect(hec.received).toHaveLength(3);
  });

  it.each([18, 19, 20] as const)('retries when the collector is unhealthy (code %i)', async (code) => {
    hec.unhealthyFor(1, code);
    const answer = await sender().sendBatch(destination(hec.url), [event(1)]);

    expect(answer.outcomes[0]).toMatchObject({ kind: 'retry' });
    expect((answer.outcomes[0] as { error: string }).error).toMatch(
      new RegExp(`^Splunk HEC code ${code} HEC is unhealthy.* \\(HTTP 503\\)$`),
    );
    expect(answer.pause).toBeNull();
  });

  it.each([
    [500, '', 'HTTP 500'],
    [502, '<html>bad gateway</html>', 'HTTP 502'],
    [429, '', 'HTTP 429'],
    [503, '<html><body>Service Unavailable</body></html>', 'HTTP 503'],
    [500, '{"text":"Internal server error","code":8}', 'Splunk HEC code 8 Internal server error (HTTP 500)'],
  ])('retries on HTTP %i', async (status, body, error) => {
    hec.answerNext(1, status, body);
    const answer = await sender().sendBatch(destination(hec.url), events(2));

    expect(answer.status).toBe(status);
    expect(answer.pause).toBeNull();
    for (const outcome of answer.outcomes) {
      expect(outcome.kind).toBe('retry');
      expect((outcome as { error: string }).error.startsWith(error)).toBe(true);
    }
  });

  it('still retries a 503 without a HEC body that a proxy answers in HTML', async () => {
    hec.answerNext(1, 503, '<html><body>Service Unavailable</body></html>', { 'content-type': 'text/html' });
    const answer = await sender().sendBatch(destination(hec.url), events(2));

    expect(answer).toMatchObject({ status: 503, pause: null, summary: 'HTTP 503' });
    expect(answer.outcomes).toEqual(
      events(2).map(() => ({ kind: 'retry', error: 'HTTP 503', retryAfterMs: null })),
    );
  });

  it.each([
    [
      'Splunk Web answering its HTML page',
      404,
      '<!doctype html><html><head><title>Page not found! - Splunk</title></head><body>Page not found!</body></html>',
      { 'content-type': 'text/html; charset=UTF-8' },
    ],
    [
      'a collector port without this path',
      404,
      '{"text":"The requested URL was not found on this server.","code":404}',
      {},
    ],
    [
      'a server that takes no POST here',
      405,
      '<html>Method Not Allowed</html>',
      { 'content-type': 'text/html' },
    ],
  ])('pauses when the URL leads to %s (HTTP %i without a HEC code)', async (_, status, body, headers) => {
    hec.answerNext(1, status, body, headers);
    const dest = destination(hec.url);
    const answer = await sender().sendBatch(dest, events(3));

    const reason =
      `the URL does not lead to a Splunk HEC endpoint: ${hec.eventUrl} answered HTTP ${status}, not a HEC answer: ` +
      'check the host, the port (HEC listens on 8088 by default, Splunk Web on 8000) and the path';
    expect(dest.url).toBe(hec.eventUrl);
    expect(answer).toMatchObject({ status, pause: { reason }, summary: reason });
    expect(answer.outcomes).toEqual(events(3).map(() => ({ kind: 'not_sent' })));
    expect(hec.eventRequests()).toHaveLength(1);
    expect(hec.received).toHaveLength(0);
  });

  it('pauses on a redirect, which is never followed, and names where it led', async () => {
    const login = `${hec.url}/en-US/account/login?return_to=%2Fen-US%2F`;
    hec.answerNext(1, 303, '', { location: login, 'content-type': 'text/html' });
    const answer = await sender().sendBatch(destination(hec.url), events(2));

    const reason =
      `the URL does not lead to a Splunk HEC endpoint: ${hec.eventUrl} answered HTTP 303 redirecting to ${login}; ` +
      'redirects are not followed: set the URL to the collector itself (HEC listens on port 8088 by default)';
    expect(answer).toMatchObject({ status: 303, pause: { reason }, summary: reason });
    expect(answer.outcomes).toEqual(events(2).map(() => ({ kind: 'not_sent' })));
    // Only the one request: the redirect was not followed.
    expect(hec.requests).toHaveLength(1);
  });

  it('pauses on a redirect without a Location and never repeats a token the Location carries', async () => {
    hec.answerNext(1, 302, '', {});
    const bare = await sender().sendBatch(destination(hec.url), events(1));
    expect(bare.pause?.reason).toBe(
      `the URL does not lead to a Splunk HEC endpoint: ${hec.eventUrl} answered HTTP 302; ` +
        'redirects are not followed: set the URL to the collector itself (HEC listens on port 8088 by default)',
    );
    expect(bare.outcomes).toEqual([{ kind: 'not_sent' }]);

    hec.answerNext(1, 307, '', { location: `https://sso.example.com/login?next=%2F&token=${TOKEN}` });
    const echoed = await sender().sendBatch(destination(hec.url), events(1));
    expect(echoed.pause?.reason).toContain(
      'redirecting to https://sso.example.com/login?next=%2F&token=[token];',
    );
    expect(JSON.stringify(echoed)).not.toContain(TOKEN);
  });

  it('keeps the mapping of HEC codes on a 404: a data error is still dead, not a pause', async () => {
    hec.answerNext(1, 404, '{"text":"No data","code":5}');
    const answer = await sender().sendBatch(destination(hec.url), events(1));

    expect(answer.pause).toBeNull();
    expect(answer.outcomes).toEqual([{ kind: 'rejected', error: 'Splunk HEC code 5 No data (HTTP 404)' }]);
  });

  it('retries on a network error', async () => {
    const url = hec.url;
    await hec.close();
    const answer = await sender().sendBatch(destination(url), events(2));

    expect(answer.status).toBeNull();
    expect(answer.outcomes).toEqual(
      events(2).map(() => ({
        kind: 'retry',
        error: 'no answer from Splunk HEC: network error ECONNREFUSED',
      })),
    );
    hec = await startFakeSplunkHec({ tokens: [] });
  });

  it.each([
    [UNKNOWN_TOKEN, 'Splunk HEC refused the token: code 4 Invalid token (HTTP 403)'],
    [TOKEN, 'Splunk HEC refused the token: code 1 Token disabled (HTTP 403)'],
  ])('pauses on a refused token and never names it (%#)', async (token, reason) => {
    hec.disableToken(TOKEN);
    const dest = { ...destination(hec.url), credentials: { token } };
    const answer = await sender().sendBatch(dest, events(3));

    expect(answer.pause).toEqual({ reason });
    expect(answer.summary).toBe(reason);
    expect(answer.status).toBe(403);
    expect(answer.outcomes).toEqual(events(3).map(() => ({ kind: 'not_sent' })));
    expect(JSON.stringify(answer)).not.toContain(token);
    expect(hec.received).toHaveLength(0);
  });

  it('pauses without a request when the token is missing', async () => {
    const dest = { ...destination(hec.url), credentials: {} };
    const answer = await sender().sendBatch(dest, events(1));

    expect(answer.pause?.reason).toBe('Splunk HEC token is missing: set settings.token again');
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }]);
    expect(hec.requests).toHaveLength(0);
  });

  it('does not repeat a token the collector echoes back', async () => {
    hec.answerNext(1, 401, JSON.stringify({ text: `Invalid authorization for ${TOKEN}`, code: 3 }));
    const answer = await sender().sendBatch(destination(hec.url), events(1));

    expect(answer.pause?.reason).toBe(
      'Splunk HEC refused the token: code 3 Invalid authorization for [token] (HTTP 401)',
    );
    expect(JSON.stringify(answer)).not.toContain(TOKEN);
  });

  it('pauses on an index the token may not write, naming the index', async () => {
    const dest = { ...destination(hec.url, { index: 'other' }), credentials: { token: RESTRICTED_TOKEN } };
    const answer = await sender().sendBatch(dest, events(2));

    expect(hec.requests[0].status).toBe(400);
    expect(codeOf(hec.requests[0].reply)).toBe(7);
    expect(answer.pause).toEqual({
      reason: 'Splunk HEC refused the configuration: code 7 Incorrect index (HTTP 400) (index "other")',
    });
    expect(answer.outcomes).toEqual(events(2).map(() => ({ kind: 'not_sent' })));
  });

  it('pauses when the token needs a channel and acknowledgement is off in the settings', async () => {
    const dest = { ...destination(hec.url), credentials: { token: ACK_TOKEN } };
    const answer = await sender().sendBatch(dest, events(1));

    expect(answer.pause?.reason).toBe(
      'Splunk HEC refused the configuration: code 10 Data channel is missing (HTTP 400)',
    );
    expect(hec.received).toHaveLength(0);
  });

  it('splits a batch the collector finds too large (413) and delivers every event in order', async () => {
    const batch = events(8);
    const dest = destination(hec.url);
    const oneEnvelope = Buffer.byteLength(splunkEnvelope(batch[0], readSplunkHecSettings(dest.settings)));
    // Room for two envelopes and their separator: 8 -> 4 -> 2 by halves.
    hec.setMaxContentLength(oneEnvelope * 2 + 1);

    const answer = await sender().sendBatch(dest, batch);

    expect(answer.outcomes).toEqual(batch.map(() => ({ kind: 'delivered' })));
    const statuses = hec.eventRequests().map((r) => r.status);
    expect(statuses.filter((s) => s === 413).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(1);
    expect(hec.received.map((r) => r.rawEvent)).toEqual(batch.map((e) => e.body));
    for (const request of hec.eventRequests().filter((r) => r.status === 200)) {
      expect(request.bytes).toBeLessThanOrEqual(oneEnvelope * 2 + 1);
    }
  });

  it("rejects an event that alone exceeds the collector's max_content_length and delivers the others", async () => {
    const batch = [event(0), event(1, `{"alertId":1001,"pad":"${'x'.repeat(2000)}"}`), event(2)];
    hec.setMaxContentLength(1000);

    const answer = await sender().sendBatch(destination(hec.url), batch);

    expect(answer.outcomes).toEqual([
      { kind: 'delivered' },
      { kind: 'rejected', error: "the event is larger than the collector's max_content_length (HTTP 413)" },
      { kind: 'delivered' },
    ]);
    expect(hec.received.map((r) => r.rawEvent)).toEqual([batch[0].body, batch[2].body]);
  });

  it('never sends a request above the destination maxBytes, splitting the batch itself', async () => {
    const batch = events(10);
    const answer = await sender().sendBatch(destination(hec.url, {}, { maxBytes: 400 }), batch);

    expect(answer.outcomes).toEqual(batch.map(() => ({ kind: 'delivered' })));
    const requests = hec.eventRequests();
    expect(requests.length).toBeGreaterThan(2);
    expect(answer.summary).toBe(`Splunk HEC accepted 10 events in ${requests.length} requests (HTTP 200)`);
    for (const request of requests) {
      expect(request.bytes).toBeLessThanOrEqual(400);
      expect(request.status).toBe(200);
    }
    expect(hec.received.map((r) => r.rawEvent)).toEqual(batch.map((e) => e.body));
  });

  it('stops at the first request that must be retried: later requests are not sent', async () => {
    hec.answerNext(1, 200, '{"text":"Success","code":0}');
    hec.answerNext(1, 503, '{"text":"Server is busy","code":9}');
    const batch = events(6);
    // About two envelopes per request: three requests planned.
    const answer = await sender().sendBatch(destination(hec.url, {}, { maxBytes: 200 }), batch);

    expect(hec.eventRequests()).toHaveLength(2);
    expect(answer.outcomes.slice(0, 2)).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
    expect(answer.outcomes.slice(2, 4).map((o) => o.kind)).toEqual(['retry', 'retry']);
    expect(answer.outcomes.slice(4)).toEqual([{ kind: 'not_sent' }, { kind: 'not_sent' }]);
  });

  describe('with indexer acknowledgement', () => {
    function ackDestination(settings: Record<string, unknown> = {}): OpenedDestination {
      return {
        ...destination(hec.url, { useAck: true, ...settings }),
        credentials: { token: ACK_TOKEN },
      };
    }

    it('delivers once the indexers acknowledge, polling on one channel', async () => {
      hec.setAckDelay(600);
      const hecSender = sender();
      const dest = ackDestination();
      const answer = await hecSender.sendBatch(dest, events(4));

      expect(answer.outcomes).toEqual(events(4).map(() => ({ kind: 'delivered' })));
      expect(answer.summary).toBe('Splunk HEC indexed 4 events (acknowledged, ackId 0)');
      const channel = hec.requests[0].headers['x-splunk-request-channel'];
      expect(channel).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const polls = hec.requests.filter((r) => r.path === '/services/collector/ack');
      expect(polls.length).toBeGreaterThanOrEqual(2);
      for (const poll of polls) {
        expect(poll.body).toBe('{"acks":[0]}');
        expect(poll.headers['x-splunk-request-channel']).toBe(channel);
        expect(poll.headers.authorization).toBe(`Splunk ${ACK_TOKEN}`);
      }
      expect(JSON.parse(polls[polls.length - 1].reply)).toEqual({ acks: { '0': true } });
      expect(JSON.parse(polls[0].reply)).toEqual({ acks: { '0': false } });

      // The same sender keeps its channel for the destination: the next ackId on it is 1.
      hec.setAckDelay(0);
      await hecSender.sendBatch(dest, events(1));
      const eventRequests = hec.eventRequests();
      expect(eventRequests[1].headers['x-splunk-request-channel']).toBe(channel);
      expect(JSON.parse(eventRequests[1].reply)).toMatchObject({ ackId: 1 });
    });

    it('retries when the indexers do not acknowledge within ackTimeoutMs', async () => {
      hec.setAckDelay('never');
      const started = Date.now();
      const answer = await sender().sendBatch(ackDestination({ ackTimeoutMs: 1000 }), events(2));
      const elapsed = Date.now() - started;

      expect(answer.outcomes).toEqual(
        events(2).map(() => ({
          kind: 'retry',
          error: 'not acknowledged by the indexers within 1000 ms (ackId 0)',
        })),
      );
      expect(answer.pause).toBeNull();
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(4000);
      expect(hec.requests.filter((r) => r.path === '/services/collector/ack').length).toBeGreaterThanOrEqual(
        3,
      );
    });

    it('pauses when the ack endpoint refuses the token (code 14), keeping what was accepted', async () => {
      // The event endpoint answers as an ack-enabled collector would; the ack endpoint knows better.
      hec.answerNext(1, 200, '{"text":"Success","code":0,"ackId":0}');
      const dest = { ...ackDestination(), credentials: { token: TOKEN } };
      const answer = await sender().sendBatch(dest, events(2));

      const polls = hec.requests.filter((r) => r.path === '/services/collector/ack');
      expect(polls).toHaveLength(1);
      expect(JSON.parse(polls[0].reply)).toEqual({ text: 'ACK is disabled', code: 14 });
      expect(answer.pause).toEqual({
        reason: 'Splunk HEC refused the acknowledgement request: code 14 ACK is disabled (HTTP 400)',
      });
      expect(answer.outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
    });

    it('pauses when acknowledgement is asked for but the token does not have it, keeping what was accepted', async () => {
      const dest = { ...ackDestination(), credentials: { token: TOKEN } };
      const answer = await sender().sendBatch(dest, events(2));

      expect(answer.outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
      expect(answer.pause?.reason).toMatch(/indexer acknowledgement is not enabled on this token/);
      expect(hec.received).toHaveLength(2);
    });
  });
});

describe('SPLUNK_HEC_SETTINGS', () => {
  function fieldOf(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      if (error instanceof InvalidInputError) {
        return error.field;
      }
      throw error;
    }
    throw new Error('accepted');
  }

  it('fills in the defaults and keeps the token apart from the settings', () => {
    expect(SPLUNK_HEC_SETTINGS.parse({ token: TOKEN })).toEqual({
      settings: { sourcetype: 'lacework:alert', useAck: false, ackTimeoutMs: 30000 },
      credentials: { token: TOKEN },
    });
    expect(
      SPLUNK_HEC_SETTINGS.parse({
        token: 'any-token_text.1',
        index: 'sec_ops-1',
        source: 'lacework',
        sourcetype: 'x:y',
        host: 'h1',
        useAck: true,
        ackTimeoutMs: 1000,
      }),
    ).toEqual({
      settings: {
        index: 'sec_ops-1',
        source: 'lacework',
        sourcetype: 'x:y',
        host: 'h1',
        useAck: true,
        ackTimeoutMs: 1000,
      },
      credentials: { token: 'any-token_text.1' },
    });
    expect(SPLUNK_HEC_SETTINGS).toMatchObject({
      kind: 'splunk_hec',
      secretFields: ['token'],
      requiredSecretFields: ['token'],
      targetFields: [],
      batch: { defaultMaxEvents: 100, maxMaxEvents: 10000, defaultMaxBytes: 1048576, maxMaxBytes: 838860800 },
    });
  });

  it.each([
    [{}, 'settings.token'],
    [{ token: '' }, 'settings.token'],
    [{ token: 'has space' }, 'settings.token'],
    [{ token: 'x'.repeat(257) }, 'settings.token'],
    [{ token: 42 }, 'settings.token'],
    [{ token: TOKEN, index: 'Upper' }, 'settings.index'],
    [{ token: TOKEN, index: '-lead' }, 'settings.index'],
    [{ token: TOKEN, source: '' }, 'settings.source'],
    [{ token: TOKEN, source: 'a\nb' }, 'settings.source'],
    [{ token: TOKEN, sourcetype: 5 }, 'settings.sourcetype'],
    [{ token: TOKEN, host: 'x'.repeat(256) }, 'settings.host'],
    [{ token: TOKEN, useAck: 'yes' }, 'settings.useAck'],
    [{ token: TOKEN, ackTimeoutMs: 999 }, 'settings.ackTimeoutMs'],
    [{ token: TOKEN, ackTimeoutMs: 600001 }, 'settings.ackTimeoutMs'],
    [{ token: TOKEN, ackTimeoutMs: 1500.5 }, 'settings.ackTimeoutMs'],
    [{ token: TOKEN, channel: 'x' }, 'settings.channel'],
  ])('refuses %j naming %s', (input, field) => {
    expect(fieldOf(() => SPLUNK_HEC_SETTINGS.parse(input))).toBe(field);
  });

  it('never puts the token in an error message', () => {
    const token = 'secret token value';
    try {
      SPLUNK_HEC_SETTINGS.parse({ token });
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).not.toContain(token);
    }
  });

  it.each([
    ['https://splunk.example.com:8088', 'https://splunk.example.com:8088/services/collector/event'],
    ['https://splunk.example.com:8088/', 'https://splunk.example.com:8088/services/collector/event'],
    ['http://10.0.0.5:8088/services/collector', 'http://10.0.0.5:8088/services/collector'],
    ['https://h.example/services/collector/event', 'https://h.example/services/collector/event'],
    ['https://h.example/services/collector/event/', 'https://h.example/services/collector/event'],
    ['https://h.example/services/collector/event/1.0', 'https://h.example/services/collector/event/1.0'],
    ['HTTPS://H.Example:443', 'https://h.example/services/collector/event'],
  ])('normalises the url %s', (input, expected) => {
    expect(SPLUNK_HEC_SETTINGS.checkUrl(input)).toBe(expected);
  });

  it.each([
    ['https://h.example/services/collector/raw', /raw endpoint/],
    ['https://h.example/services/collector/raw/1.0', /raw endpoint/],
    ['https://h.example/services/collector/ack', /path must be/],
    ['https://h.example/splunk/services/collector/event', /path must be/],
    ['https://h.example/services/collector/event?token=abc', /query string/],
    ['ftp://h.example/', /http or https/],
    ['http://169.254.169.254/', /metadata/],
  ])('refuses the url %s', (input, message) => {
    let thrown: unknown = null;
    try {
      SPLUNK_HEC_SETTINGS.checkUrl(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect((thrown as InvalidInputError).field).toBe('url');
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('the fake HEC itself', () => {
  let hec: FakeSplunkHec;

  beforeAll(async () => {
    hec = await startFakeSplunkHec({ tokens: [{ token: TOKEN, indexes: ['main', 'sec'] }] });
  });

  afterAll(async () => {
    await hec.close();
  });

  async function post(body: string, headers: Record<string, string> = { authorization: `Splunk ${TOKEN}` }) {
    const response = await fetch(hec.eventUrl, { method: 'POST', body, headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('splits objects written one after another, braces inside strings included', () => {
    expect(splitConcatenatedObjects(' {"a":"}{"} \n\t{"b":[{}]}{"c":"\\"}"}')).toEqual({
      objects: ['{"a":"}{"}', '{"b":[{}]}', '{"c":"\\"}"}'],
      bad: null,
    });
    expect(splitConcatenatedObjects('{"a":1} [1]')).toEqual({ objects: ['{"a":1}'], bad: 1 });
    expect(splitConcatenatedObjects('{"a":1}{"b":')).toEqual({ objects: ['{"a":1}'], bad: 1 });
  });

  it('answers with the documented codes', async () => {
    const before = hec.received.length;
    expect(await post('[{"event":"a"}]')).toEqual({
      status: 400,
      body: { text: 'Invalid data format', code: 6, 'invalid-event-number': 0 },
    });
    expect(await post('')).toEqual({ status: 400, body: { text: 'No data', code: 5 } });
    expect(await post('{"event":"a"}', {})).toEqual({
      status: 401,
      body: { text: 'Token is required', code: 2 },
    });
    expect(await post('{"event":"a"}', { authorization: TOKEN })).toEqual({
      status: 401,
      body: { text: 'Invalid authorization', code: 3 },
    });
    expect(await post('{"event":"a"}', { authorization: 'Splunk nope' })).toEqual({
      status: 403,
      body: { text: 'Invalid token', code: 4 },
    });
    expect(await post('{"event":"a"}{"time":1}')).toEqual({
      status: 400,
      body: { text: 'Event field is required', code: 12, 'invalid-event-number': 1 },
    });
    expect(await post('{"event":"a"} {"event":"b","fields":{"x":{"y":1}}}')).toEqual({
      status: 400,
      body: { text: 'Error in handling indexed fields', code: 15, 'invalid-event-number': 1 },
    });
    expect(await post('{"event":"a","index":"nope"}')).toEqual({
      status: 400,
      body: { text: 'Incorrect index', code: 7, 'invalid-event-number': 0 },
    });
    // Events before the bad one were indexed: two requests above had one good event first.
    expect(hec.received.length - before).toBe(2);
    expect(await post('{"event":{"k":1}}\n{"event":"b","fields":{"x":["1",2]},"index":"sec"}')).toEqual({
      status: 200,
      body: { text: 'Success', code: 0 },
    });
    expect(hec.received.slice(-2).map((r) => [r.rawEvent, r.index])).toEqual([
      ['{"k":1}', 'main'],
      ['"b"', 'sec'],
    ]);
    const health = await fetch(`${hec.url}/services/collector/health`);
    expect(health.status).toBe(200);
  });
});
