import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { InvalidInputError } from '../src/common/domain.errors';
import { validateEnv } from '../src/config/env.validation';
import { OpenedDestination, OutgoingEvent } from '../src/delivery/senders/destination-sender';
import { ElasticsearchSender } from '../src/delivery/senders/elasticsearch.sender';
import { ELASTICSEARCH_SETTINGS } from '../src/delivery/senders/elasticsearch.settings';
import { FakeElasticsearch, startFakeElasticsearch } from './fakes/fake-elasticsearch';
import { testEnv } from './setup/test-app';
import { openedDestination } from './setup/opened-destination';

const API_KEY = Buffer.from('VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw').toString('base64');
const PASSWORD = 'pa55-w0rd-never-shown';
const INDEX = 'lacework-alerts';
const TIME_MS = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const TIMESTAMP = '"@timestamp":"2024-01-02T03:04:05.678Z"';

const sender = new ElasticsearchSender(
  validateEnv(testEnv('postgres://unused@127.0.0.1/unused', { DELIVERY_TIMEOUT_MS: '5000' })),
);

/** A destination as the worker opens it. */
function destination(url: string, input: Record<string, unknown> = {}): OpenedDestination {
  return openedDestination(
    ELASTICSEARCH_SETTINGS,
    url,
    { index: INDEX, auth: 'api_key', apiKey: API_KEY, ...input },
    {
      name: 'elastic',
    },
  );
}

function event(n: number, body?: string): OutgoingEvent {
  return {
    deliveryId: `90000${n}`,
    webhookId: `lw_int_${n}_v1`,
    integrationId: 'int-1',
    alertId: String(967000 + n),
    version: 1,
    severity: 'High',
    timeMs: TIME_MS,
    // A 19-digit id keeps every digit only if the body is never re-encoded.
    body: body ?? `{"alertId":${967000 + n},"big":12345678901234567890,"name":"caf\u00e9 \u2603 #${n}"}`,
    consoleUrl: null,
  };
}

function withoutTimestamp(source: string): string {
  expect(source.startsWith(`{${TIMESTAMP}`)).toBe(true);
  const rest = source.slice(1 + TIMESTAMP.length);
  return rest === '}' ? '{}' : `{${rest.slice(1)}`;
}

describe('ElasticsearchSender against a faithful _bulk endpoint', () => {
  let es: FakeElasticsearch;

  beforeEach(async () => {
    es = await startFakeElasticsearch({
      apiKeys: [API_KEY],
      users: { lacework_writer: PASSWORD },
      dataStreams: ['logs-lacework-default'],
    });
  });

  afterEach(async () => {
    await es.close();
  });

  it('stores every body byte for byte, with @timestamp added first, in one NDJSON request', async () => {
    const events = [event(1), event(2), event(3, '{}'), event(4, '{ "spaced" : true }')];
    const answer = await sender.sendBatch(destination(es.url), events);

    expect(answer.outcomes).toEqual(events.map(() => ({ kind: 'delivered' })));
    expect(answer).toMatchObject({ status: 200, pause: null });
    const stored = es.documents(INDEX);
    expect(stored.size).toBe(4);
    for (const e of events) {
      expect(withoutTimestamp(stored.get(e.deliveryId)!)).toBe(e.body);
    }
    expect(stored.get('900001')).toContain('"big":12345678901234567890');
    expect(stored.get('900003')).toBe(`{${TIMESTAMP}}`);
    expect(es.requests).toHaveLength(1);
    const request = es.requests[0];
    expect(request.url).toBe('/_bulk?filter_path=items.*.status,items.*.error,errors');
    expect(request.headers['content-type']).toBe('application/x-ndjson');
    expect(request.headers.authorization).toBe(`ApiKey ${API_KEY}`);
    const lines = request.body.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(8);
    expect(JSON.parse(lines[0])).toEqual({ create: { _index: INDEX, _id: '900001' } });
  });

  it('keeps a body that has its own @timestamp as it is (no duplicate field)', async () => {
    const body = '{"@timestamp":"2023-05-06T07:08:09Z","n":1}';
    const answer = await sender.sendBatch(destination(es.url), [event(1, body)]);
    expect(answer.outcomes).toEqual([{ kind: 'delivered' }]);
    expect(es.documents(INDEX).get('900001')).toBe(body);
  });

  it('a resend of the same events makes no second document and counts as delivered (409 on create)', async () => {
    const events = [event(1), event(2)];
    await sender.sendBatch(destination(es.url), events);
    const again = await sender.sendBatch(destination(es.url), events);

    expect(again.outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
    expect(again.summary).toContain('2 already stored');
    expect(es.documents(INDEX).size).toBe(2);
    expect(es.requests).toHaveLength(2);
  });

  it('decides item by item in one batch: a mapping error is rejected with its reason, a 429 item retried', async () => {
    es.rejectItems(1);
    es.failDocuments((_index, _id, source) =>
      source.alertId === 967003
        ? "failed to parse field [alertId] of type [keyword] in document with id '900003'"
        : null,
    );
    const events = [1, 2, 3, 4, 5].map((n) => event(n));
    const answer = await sender.sendBatch(destination(es.url), events);

    expect(es.requests).toHaveLength(1);
    expect(answer.pause).toBeNull();
    expect(answer.outcomes[0]).toMatchObject({ kind: 'retry' });
    expect((answer.outcomes[0] as { error: string }).error).toMatch(/^es_rejected_execution_exception: /);
    expect(answer.outcomes[1]).toEqual({ kind: 'delivered' });
    expect(answer.outcomes[2]).toEqual({
      kind: 'rejected',
      error:
        "document_parsing_exception: failed to parse field [alertId] of type [keyword] in document with id '900003' (item status 400)",
    });
    expect(answer.outcomes.slice(3)).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
    expect([...es.documents(INDEX).keys()].sort()).toEqual(['900002', '900004', '900005']);
    expect(answer.summary).toContain('the cluster took 3 of 5, 1 rejected, 1 to retry');

    const retried = await sender.sendBatch(destination(es.url), [events[0]]);
    expect(retried.outcomes).toEqual([{ kind: 'delivered' }]);
  });

  it('reads full bulk answers too, when filter_path is not honoured', async () => {
    await es.close();
    es = await startFakeElasticsearch({ apiKeys: [API_KEY], honourFilterPath: false });
    es.failDocuments((_i, id) => (id === '900002' ? 'mapping says no' : null));
    const answer = await sender.sendBatch(destination(es.url), [event(1), event(2)]);
    expect(answer.outcomes).toEqual([
      { kind: 'delivered' },
      { kind: 'rejected', error: 'document_parsing_exception: mapping says no (item status 400)' },
    ]);
  });

  it('retries the whole batch on a whole-request 429, honouring Retry-After', async () => {
    es.rejectRequests(1, 7);
    const events = [event(1), event(2)];
    const answer = await sender.sendBatch(destination(es.url), events);

    expect(answer.status).toBe(429);
    expect(answer.pause).toBeNull();
    for (const outcome of answer.outcomes) {
      expect(outcome).toMatchObject({ kind: 'retry', retryAfterMs: 7000 });
      expect((outcome as { error: string }).error).toContain('HTTP 429: es_rejected_execution_exception');
    }
    expect(es.documents(INDEX).size).toBe(0);
    expect((await sender.sendBatch(destination(es.url), events)).outcomes).toEqual([
      { kind: 'delivered' },
      { kind: 'delivered' },
    ]);
  });

  it('pauses on refused credentials, says why, and never repeats the key', async () => {
    const wrongKey = Buffer.from('id:wrong-secret-value').toString('base64');
    const answer = await sender.sendBatch(destination(es.url, { apiKey: wrongKey }), [event(1), event(2)]);

    expect(answer.status).toBe(401);
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }, { kind: 'not_sent' }]);
    expect(answer.pause?.reason).toBe(
      'the cluster refused the credentials: security_exception: unable to authenticate with provided credentials and anonymous access is not allowed for this request (HTTP 401)',
    );
    expect(answer.summary).toBe(answer.pause?.reason);
    expect(JSON.stringify(answer)).not.toContain(wrongKey);
    expect(es.documents(INDEX).size).toBe(0);
  });

  it('pauses on a wrong basic password without showing it', async () => {
    const answer = await sender.sendBatch(
      destination(es.url, {
        auth: 'basic',
        apiKey: undefined,
        username: 'lacework_writer',
        password: 'wrong-pw',
      }),
      [event(1)],
    );
    expect(answer.pause?.reason).toContain('unable to authenticate user [lacework_writer]');
    expect(JSON.stringify(answer)).not.toContain('wrong-pw');
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }]);
  });

  it('delivers with basic auth', async () => {
    const answer = await sender.sendBatch(
      destination(es.url, {
        auth: 'basic',
        apiKey: undefined,
        username: 'lacework_writer',
        password: PASSWORD,
      }),
      [event(1)],
    );
    expect(answer.outcomes).toEqual([{ kind: 'delivered' }]);
    expect(es.requests[0].headers.authorization).toBe(
      `Basic ${Buffer.from(`lacework_writer:${PASSWORD}`).toString('base64')}`,
    );
    expect(JSON.stringify(answer)).not.toContain(PASSWORD);
  });

  it('pauses when the key may not write to the index (item 403), every event waits, none dead', async () => {
    es.denyIndex(INDEX);
    const answer = await sender.sendBatch(destination(es.url), [event(1), event(2)]);
    expect(answer.pause?.reason).toMatch(
      /^the cluster refused to write to the index: security_exception: action/,
    );
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }, { kind: 'not_sent' }]);
  });

  it('pauses on a 404 for the whole request: there is no _bulk endpoint at that URL', async () => {
    await es.close();
    es = await startFakeElasticsearch({ apiKeys: [API_KEY], pathPrefix: '/es' });
    const base = es.url.replace(/\/es$/, '/elastic');
    const answer = await sender.sendBatch(destination(base), [event(1)]);
    expect(answer.pause?.reason).toBe(`no _bulk endpoint at ${base}/_bulk (HTTP 404): check the URL`);
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }]);

    const viaPrefix = await sender.sendBatch(destination(`${es.url}/`), [event(1)]);
    expect(viaPrefix.outcomes).toEqual([{ kind: 'delivered' }]);
    expect(es.requests[1].url.startsWith('/es/_bulk?')).toBe(true);
  });

  it('halves a batch the cluster finds too large (413) and rejects an event too large alone', async () => {
    await es.close();
    es = await startFakeElasticsearch({ apiKeys: [API_KEY], maxContentLength: 1500 });
    const padding = 'x'.repeat(200);
    const events = [1, 2, 3, 4, 5, 6, 7].map((n) => event(n, `{"n":${n},"pad":"${padding}"}`));
    events.push(event(8, `{"n":8,"pad":"${'y'.repeat(2000)}"}`));
    const answer = await sender.sendBatch(destination(es.url), events);

    expect(answer.outcomes.slice(0, 7)).toEqual(events.slice(0, 7).map(() => ({ kind: 'delivered' })));
    expect(answer.outcomes[7]).toMatchObject({ kind: 'rejected' });
    expect((answer.outcomes[7] as { error: string }).error).toMatch(
      /^the cluster refused the event as too large \(HTTP 413/,
    );
    expect(es.documents(INDEX).size).toBe(7);
    expect(es.requests[0].status).toBe(413);
    const accepted = es.requests.filter((r) => r.status === 200);
    expect(accepted.every((r) => r.bytes <= 1500)).toBe(true);
    expect(accepted.length).toBeGreaterThanOrEqual(3);
  });

  it('after a 429 on one half of a split batch, does not send the other half: it waits the same delay', async () => {
    await es.close();
    es = await startFakeElasticsearch({ apiKeys: [API_KEY], maxContentLength: 1500 });
    es.rejectRequests(1, 3);
    const events = [1, 2, 3, 4, 5, 6].map((n) => event(n, `{"n":${n},"pad":"${'x'.repeat(200)}"}`));
    const answer = await sender.sendBatch(destination(es.url), events);

    expect(es.requests.map((r) => r.status)).toEqual([413, 429]);
    for (const outcome of answer.outcomes) {
      expect(outcome).toMatchObject({ kind: 'retry', retryAfterMs: 3000 });
    }
  });

  it('writes to a data stream with create, @timestamp included', async () => {
    const stream = 'logs-lacework-default';
    const answer = await sender.sendBatch(destination(es.url, { index: stream }), [event(1), event(2)]);
    expect(answer.outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
    expect(withoutTimestamp(es.documents(stream).get('900002')!)).toBe(event(2).body);
  });

  it('retries all when a 200 is not a bulk answer or counts the wrong items', async () => {
    const bodies = ['<html>proxy says hi</html>', '{"errors":false,"items":[{"create":{"status":201}}]}'];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(bodies.shift()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const notBulk = await sender.sendBatch(destination(url), [event(1), event(2)]);
      expect(notBulk.outcomes).toEqual([
        { kind: 'retry', error: 'the cluster answered HTTP 200 without a bulk answer (no items)' },
        { kind: 'retry', error: 'the cluster answered HTTP 200 without a bulk answer (no items)' },
      ]);
      const miscounted = await sender.sendBatch(destination(url), [event(1), event(2)]);
      expect(miscounted.outcomes[1]).toEqual({
        kind: 'retry',
        error: 'the cluster answered 1 bulk items for 2 documents (HTTP 200)',
      });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('retries on a network failure', async () => {
    const url = es.url;
    await es.close();
    const answer = await sender.sendBatch(destination(url), [event(1)]);
    expect(answer.status).toBeNull();
    expect(answer.outcomes[0]).toMatchObject({
      kind: 'retry',
      error: 'no answer from the cluster: network error ECONNREFUSED',
    });
    es = await startFakeElasticsearch();
  });
});

describe('the fake follows the real _bulk rules', () => {
  let es: FakeElasticsearch;

  beforeEach(async () => {
    es = await startFakeElasticsearch({ dataStreams: ['logs-x-default'] });
  });

  afterEach(async () => {
    await es.close();
  });

  async function bulk(body: string): Promise<{ status: number; json: any }> {
    const response = await fetch(`${es.url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    return { status: response.status, json: await response.json() };
  }

  it('refuses a body whose last line has no newline', async () => {
    const answer = await bulk('{"create":{"_index":"a","_id":"1"}}\n{"x":1}');
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({
      type: 'illegal_argument_exception',
      reason: 'The bulk request must be terminated by a newline [\\n]',
    });
  });

  it('takes only create into a data stream, and only with @timestamp', async () => {
    const answer = await bulk(
      '{"index":{"_index":"logs-x-default","_id":"1"}}\n{"@timestamp":"2024-01-01T00:00:00Z"}\n' +
        '{"create":{"_index":"logs-x-default","_id":"2"}}\n{"x":1}\n' +
        '{"create":{"_index":"logs-x-default","_id":"3"}}\n{"@timestamp":"2024-01-01T00:00:00Z"}\n',
    );
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBe(true);
    expect(answer.json.items.map((i: any) => Object.values(i)[0])).toMatchObject([
      { status: 400, error: { type: 'illegal_argument_exception' } },
      {
        status: 400,
        error: { reason: expect.stringContaining('data stream timestamp field [@timestamp] is missing') },
      },
      { status: 201, result: 'created', _index: expect.stringMatching(/^\.ds-logs-x-default-/) },
    ]);
  });

  it('answers index with replace, create on an existing id with 409', async () => {
    await bulk('{"index":{"_index":"a","_id":"1"}}\n{"v":1}\n');
    const answer = await bulk(
      '{"index":{"_index":"a","_id":"1"}}\n{"v":2}\n{"create":{"_index":"a","_id":"1"}}\n{"v":3}\n',
    );
    expect(answer.json.items).toMatchObject([
      { index: { status: 200, result: 'updated', _version: 2 } },
      {
        create: {
          status: 409,
          error: {
            type: 'version_conflict_engine_exception',
            reason: '[1]: version conflict, document already exists (current version [2])',
          },
        },
      },
    ]);
    expect(es.documents('a').get('1')).toBe('{"v":2}');
  });
});

describe('ELASTICSEARCH_SETTINGS', () => {
  function fieldOf(input: Record<string, unknown>): string {
    try {
      ELASTICSEARCH_SETTINGS.parse(input);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).not.toContain('s3cr3t');
      return (error as InvalidInputError).message;
    }
    throw new Error('parse accepted it');
  }

  const key = { auth: 'api_key', apiKey: 'ZW5jb2RlZA==' };

  it.each([
    [{ ...key }, 'settings.index: is required'],
    [{ ...key, index: 'Alerts' }, 'settings.index: must be lowercase'],
    [{ ...key, index: 'a b' }, 'settings.index: must not contain spaces'],
    [{ ...key, index: 'a*' }, 'settings.index: must not contain "*"'],
    [{ ...key, index: 'a#b' }, 'settings.index: must not contain "#"'],
    [{ ...key, index: '_a' }, 'settings.index: must not start with "-", "_" or "+"'],
    [{ ...key, index: '..' }, 'settings.index: must not be "." or ".."'],
    [{ ...key, index: '\u00e9'.repeat(128) }, 'settings.index: must be at most 255 bytes'],
    [{ index: 'a' }, 'settings.auth: is required'],
    [{ index: 'a', auth: 'bearer' }, 'settings.auth: must be one of api_key, basic'],
    [{ index: 'a', auth: 'api_key' }, 'settings.apiKey: is required when auth is api_key'],
    [
      { index: 'a', auth: 'api_key', apiKey: 'ApiKey s3cr3t' },
      'settings.apiKey: must be the encoded value alone',
    ],
    [{ index: 'a', auth: 'api_key', apiKey: 's3cr3t!' }, 'settings.apiKey: must be the base64'],
    [{ ...key, index: 'a', password: 's3cr3t' }, 'settings.password: is not used when auth is api_key'],
    [{ index: 'a', auth: 'basic', password: 's3cr3t' }, 'settings.username: is required when auth is basic'],
    [{ index: 'a', auth: 'basic', username: 'u' }, 'settings.password: is required when auth is basic'],
    [
      { index: 'a', auth: 'basic', username: 'u:v', password: 's3cr3t' },
      'settings.username: must not contain ":"',
    ],
    [{ ...key, index: 'a', pipeline: 'x' }, 'settings.pipeline: is not a setting of this kind'],
  ])('refuses %j: %s', (input, message) => {
    expect(fieldOf(input)).toContain(message);
  });

  it('splits secrets from settings', () => {
    expect(
      ELASTICSEARCH_SETTINGS.parse({ index: 'a', auth: 'basic', username: 'u', password: 's3cr3t' }),
    ).toEqual({
      settings: { index: 'a', auth: 'basic', username: 'u' },
      credentials: { password: 's3cr3t' },
    });
    expect(ELASTICSEARCH_SETTINGS.parse({ index: '.alerts-x', ...key })).toEqual({
      settings: { index: '.alerts-x', auth: 'api_key' },
      credentials: { apiKey: 'ZW5jb2RlZA==' },
    });
  });

  it.each([
    ['https://es.example.com:9200/?x=1', 'url: must not have a query'],
    ['https://es.example.com:9200/_bulk', 'url: must be the base URL of the cluster, without /_bulk'],
    ['ftp://es.example.com', 'url: must use http or https'],
  ])('refuses the url %s', (url, message) => {
    expect(() => ELASTICSEARCH_SETTINGS.checkUrl(url)).toThrow(message);
  });

  it('takes a base URL with a proxy path prefix', () => {
    expect(ELASTICSEARCH_SETTINGS.checkUrl('https://proxy.example.com/es')).toBe(
      'https://proxy.example.com/es',
    );
  });
});
