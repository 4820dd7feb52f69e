import { readFileSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { InvalidInputError } from '../src/common/domain.errors';
import { validateEnv } from '../src/config/env.validation';
import { OpenedDestination, OutgoingEvent } from '../src/delivery/senders/destination-sender';
import { SyslogSender } from '../src/delivery/senders/syslog.sender';
import { SYSLOG_SETTINGS } from '../src/delivery/senders/syslog.settings';
import { buildSyslogMessage, SyslogHeader } from '../src/delivery/formats/syslog-message';
import { PERMITTED_CLIENT_NAME, Rsyslog } from './setup/rsyslog';
import { testEnv } from './setup/test-app';
import { sleep } from './setup/wait';
import { openedDestination } from './setup/opened-destination';

function sender(timeoutMs = 5_000): SyslogSender {
  return new SyslogSender(
    validateEnv(testEnv('postgres://unused@127.0.0.1/unused', { DELIVERY_TIMEOUT_MS: String(timeoutMs) })),
  );
}

function destination(url: string, input: Record<string, unknown> = {}): OpenedDestination {
  return openedDestination(SYSLOG_SETTINGS, url, input, { name: 'siem' });
}

let sequence = 0;
function event(overrides: Partial<OutgoingEvent> = {}): OutgoingEvent {
  sequence += 1;
  return {
    deliveryId: `delivery-${sequence}`,
    webhookId: `lw_i1_${sequence}_v1`,
    integrationId: 'i1',
    alertId: String(900000 + sequence),
    version: 1,
    severity: 'High',
    timeMs: Date.UTC(2024, 4, 6, 7, 8, 9, 123),
    body: `{"alertId":${900000 + sequence},"big":12345678901234567890123456789}`,
    consoleUrl: null,
    ...overrides,
  };
}

describe('SyslogSender against a real rsyslog (TLS, octet counting)', () => {
  let rsyslog: Rsyslog;

  beforeAll(async () => {
    rsyslog = await Rsyslog.start();
  });

  afterAll(async () => {
    await rsyslog.stop();
  });

  it('delivers a batch that arrives exactly as sent: bodies byte for byte, structured data, PRI', async () => {
    const before = rsyslog.messages().length;
    const events = [
      event({ severity: 'Critical', body: '{"title":"héllo wörld ✓ 日本語 😀","n":1}' }),
      event({
        severity: 'Medium',
        alertId: 'a"b]c\\d',
        deliveryId: 'd]"\\',
        body: '{"q":"say \\"hi\\" ] \\\\ [x]","n":98765432109876543210}',
      }),
      event({ severity: 'Low', body: `{"blob":"${'abcdefghij€'.repeat(9_000)}","end":true}` }),
      event({ severity: 'Info', version: 7 }),
    ];
    expect(Buffer.byteLength(events[2].body)).toBeGreaterThan(100_000);
    const answer = await sender().sendBatch(
      destination(rsyslog.url, {
        caCertificate: rsyslog.serverCertificate,
        facility: 'local3',
        appName: 'lw-test',
        hostname: 'fwd-1.example',
        msgId: 'LWALERT',
      }),
      events,
    );

    expect(answer).toMatchObject({ status: null, pause: null });
    expect(answer.outcomes).toEqual(events.map(() => ({ kind: 'delivered' })));
    expect(answer.summary).toBe('the receiver took 4 messages over TLS (connection closed cleanly)');
    const received = (await rsyslog.waitForMessages(before + 4)).slice(before);
    expect(received).toHaveLength(4);

    received.forEach((message, i) => {
      const body = Buffer.from(events[i].body, 'utf8');
      // The raw message ends with the body's exact bytes, after the structured data and one space.
      expect(message.raw.subarray(message.raw.length - body.length).equals(body)).toBe(true);
      expect(
        message.raw.subarray(message.raw.length - body.length - 2, message.raw.length - body.length),
      ).toEqual(Buffer.from('] '));
      expect(message.msg).toBe(events[i].body);
      expect(message.facility).toBe(19);
      expect(message.hostname).toBe('fwd-1.example');
      expect(message.appName).toBe('lw-test');
      expect(message.procId).toBe(String(process.pid));
      expect(message.msgId).toBe('LWALERT');
      expect(message.timestamp).toBe('2024-05-06T07:08:09.123Z');
      expect(message.raw.subarray(0, 60).toString('ascii')).toMatch(
        /^<\d+>1 2024-05-06T07:08:09\.123Z fwd-1\.example /,
      );
    });
    expect(received.map((m) => m.severity)).toEqual([2, 4, 5, 6]);
    expect(received.map((m) => m.pri)).toEqual([154, 156, 157, 158]);
    expect(received[0].structuredData).toBe(
      `[lacework@32473 alertId="${events[0].alertId}" severity="Critical" version="1" deliveryId="${events[0].deliveryId}"]`,
    );
    expect(received[1].structuredData).toBe(
      '[lacework@32473 alertId="a\\"b\\]c\\\\d" severity="Medium" version="1" deliveryId="d\\]\\"\\\\"]',
    );
    expect(received[3].structuredData).toContain('version="7"');
  });

  it('uses the defaults: facility local0, app lacework-connector, msgId ALERT, the machine hostname', async () => {
    const before = rsyslog.messages().length;
    const answer = await sender().sendBatch(
      destination(rsyslog.url, { caCertificate: rsyslog.serverCertificate }),
      [event({ severity: 'Info' })],
    );
    expect(answer.outcomes).toEqual([{ kind: 'delivered' }]);
    const [message] = (await rsyslog.waitForMessages(before + 1)).slice(before);
    expect(message.pri).toBe(134);
    expect(message.appName).toBe('lacework-connector');
    expect(message.msgId).toBe('ALERT');
    expect(message.hostname).toBe(hostname());
  });

  it('pauses, sending nothing, when the receiver certificate is not trusted (no caCertificate)', async () => {
    const before = rsyslog.messages().length;
    const events = [event(), event()];
    const answer = await sender().sendBatch(destination(rsyslog.url), events);
    expect(answer.pause?.reason).toBe(
      "the receiver's certificate is not trusted: it is self-signed and not among the trusted CAs (DEPTH_ZERO_SELF_SIGNED_CERT)",
    );
    expect(answer.summary).toBe(answer.pause?.reason);
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }, { kind: 'not_sent' }]);
    await sleep(300);
    expect(rsyslog.messages()).toHaveLength(before);
  });

  it('pauses when the certificate does not name the server name asked for', async () => {
    const answer = await sender().sendBatch(
      destination(rsyslog.url, {
        caCertificate: rsyslog.serverCertificate,
        serverName: 'syslog.example.com',
      }),
      [event()],
    );
    expect(answer.pause?.reason).toMatch(
      /^the receiver's certificate is not trusted: .*ERR_TLS_CERT_ALTNAME_INVALID/,
    );
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }]);
  });

  it('verifies against serverName when given: localhost matches the certificate', async () => {
    const before = rsyslog.messages().length;
    const answer = await sender().sendBatch(
      destination(rsyslog.url, { caCertificate: rsyslog.serverCertificate, serverName: 'localhost' }),
      [event()],
    );
    expect(answer.outcomes).toEqual([{ kind: 'delivered' }]);
    await rsyslog.waitForMessages(before + 1);
  });

  it('sends the host of the address as SNI when no serverName is set, and no SNI to an IP address', async () => {
    // A TLS server with the receiver's certificate (CN and SAN localhost) that records the SNI each client sends.
    const names: string[] = [];
    const key = readFileSync(join(rsyslog.dir, 'localhost-key.pem'), 'utf8');
    const context = tls.createSecureContext({ cert: rsyslog.serverCertificate, key });
    const server = tls.createServer(
      {
        cert: rsyslog.serverCertificate,
        key,
        SNICallback: (name, callback) => {
          names.push(name);
          callback(null, context);
        },
      },
      (socket) => {
        socket.on('data', () => undefined);
        socket.on('end', () => socket.end());
        socket.on('error', () => undefined);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const byName = await sender().sendBatch(
        destination(`tls://localhost:${port}`, { caCertificate: rsyslog.serverCertificate }),
        [event()],
      );
      expect(byName.outcomes).toEqual([{ kind: 'delivered' }]);
      expect(names).toEqual(['localhost']);

      const byAddress = await sender().sendBatch(
        destination(`tls://127.0.0.1:${port}`, { caCertificate: rsyslog.serverCertificate }),
        [event()],
      );
      expect(byAddress.outcomes).toEqual([{ kind: 'delivered' }]);
      expect(names).toEqual(['localhost']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("rejects a message above maxMessageBytes (200000 by default, rsyslog's MaxFrameSize) and sends the rest intact", async () => {
    const before = rsyslog.messages().length;
    const big = event({ body: `{"blob":"${'x'.repeat(250_000)}","end":true}` });
    const small = [event({ body: '{"n":1,"t":"small one"}' }), event({ body: '{"n":2,"t":"small two ✓"}' })];
    const answer = await sender().sendBatch(
      destination(rsyslog.url, { caCertificate: rsyslog.serverCertificate }),
      [big, ...small],
    );

    expect(answer.pause).toBeNull();
    expect(answer.outcomes[0].kind).toBe('rejected');
    const reason = (answer.outcomes[0] as { error: string }).error;
    const size = Number(/^the syslog message is (\d+) bytes, /.exec(reason)?.[1]);
    // The counted bytes are the whole message: header, structured data and the body.
    expect(size).toBeGreaterThan(Buffer.byteLength(big.body));
    expect(size).toBeLessThan(Buffer.byteLength(big.body) + 300);
    expect(reason).toBe(
      `the syslog message is ${size} bytes, more than settings.maxMessageBytes (200000): raise it with the ` +
        "receiver's limit (rsyslog's MaxFrameSize) and replay",
    );
    expect(answer.outcomes.slice(1)).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
    expect(answer.summary).toBe(
      `the receiver took 2 messages over TLS (connection closed cleanly); 1 message rejected: ${reason}`,
    );

    const received = (await rsyslog.waitForMessages(before + 2)).slice(before);
    await sleep(300);
    expect(rsyslog.messages()).toHaveLength(before + 2);
    received.forEach((message, i) => {
      const body = Buffer.from(small[i].body, 'utf8');
      expect(message.raw.subarray(message.raw.length - body.length).equals(body)).toBe(true);
      expect(message.raw.subarray(0, 40).toString('ascii')).toMatch(/^<\d+>1 2024-05-06T07:08:09\.123Z /);
      expect(message.msg).toBe(small[i].body);
      expect(message.structuredData).toContain(`deliveryId="${small[i].deliveryId}"`);
    });
  });

  it('connects to nobody when every message of the batch is above maxMessageBytes', async () => {
    const before = rsyslog.messages().length;
    const events = [
      event({ body: `{"a":"${'y'.repeat(3_000)}"}` }),
      event({ body: `{"b":"${'z'.repeat(3_000)}"}` }),
    ];
    const answer = await sender().sendBatch(
      destination(rsyslog.url, { caCertificate: rsyslog.serverCertificate, maxMessageBytes: 2048 }),
      events,
    );
    expect(answer.pause).toBeNull();
    expect(answer.outcomes.map((o) => o.kind)).toEqual(['rejected', 'rejected']);
    expect(answer.summary).toMatch(
      /^2 messages rejected: the syslog message is \d+ bytes, more than settings\.maxMessageBytes \(2048\)/,
    );
    await sleep(300);
    expect(rsyslog.messages()).toHaveLength(before);
  });

  it('re-checks a stored URL before connecting and pauses on one the policy forbids', async () => {
    const opened = { ...destination(rsyslog.url), url: 'tls://169.254.169.254:6514' };
    const answer = await sender().sendBatch(opened, [event()]);
    expect(answer.pause?.reason).toBe(
      "the destination's settings are refused: url: host must not be a cloud metadata address",
    );
    expect(answer.latencyMs).toBeLessThan(1_000);
  });
});

describe('SyslogSender to a receiver that takes larger frames (MaxFrameSize raised)', () => {
  let rsyslog: Rsyslog;

  beforeAll(async () => {
    rsyslog = await Rsyslog.start({ maxFrameSize: 300_000 });
  });

  afterAll(async () => {
    await rsyslog.stop();
  });

  it('delivers a 250 KB document byte for byte, and a message of exactly maxMessageBytes, once raised to match', async () => {
    const before = rsyslog.messages().length;
    const settings = {
      caCertificate: rsyslog.serverCertificate,
      hostname: 'fwd-1.example',
      maxMessageBytes: 300_000,
    };
    // The message around a body: its length tells how long a body makes a message of exactly the limit.
    const header: SyslogHeader = {
      facility: 16,
      hostname: 'fwd-1.example',
      appName: 'lacework-connector',
      procId: String(process.pid),
      msgId: 'ALERT',
    };
    const sized = (bytes: number): OutgoingEvent => {
      const probe = event({ body: '' });
      const overhead = Buffer.byteLength(buildSyslogMessage(header, probe));
      return { ...probe, body: `{"p":"${'q'.repeat(bytes - overhead - 8)}"}` };
    };
    const events = [
      event({ body: `{"blob":"${'abcdefghij€'.repeat(20_000)}","end":true}` }),
      sized(300_000),
      sized(300_001),
      event({ body: '{"after":true}' }),
    ];
    expect(Buffer.byteLength(events[0].body)).toBeGreaterThan(250_000);
    const answer = await sender().sendBatch(destination(rsyslog.url, settings), events);
    expect(answer.outcomes.map((o) => o.kind)).toEqual(['delivered', 'delivered', 'rejected', 'delivered']);
    expect((answer.outcomes[2] as { error: string }).error).toMatch(
      /^the syslog message is 300001 bytes, more than settings\.maxMessageBytes \(300000\)/,
    );

    const received = (await rsyslog.waitForMessages(before + 3)).slice(before);
    await sleep(300);
    expect(rsyslog.messages()).toHaveLength(before + 3);
    [events[0], events[1], events[3]].forEach((sent, i) => {
      const body = Buffer.from(sent.body, 'utf8');
      expect(received[i].raw.subarray(received[i].raw.length - body.length).equals(body)).toBe(true);
      expect(received[i].msg).toBe(sent.body);
    });
    expect(received[1].raw.length).toBe(300_000);
  });
});

describe('SyslogSender when the receiver is away or stalls', () => {
  it('retries every event when rsyslog is stopped (connection refused)', async () => {
    const rsyslog = await Rsyslog.start();
    const url = rsyslog.url;
    const ca = rsyslog.serverCertificate;
    await rsyslog.stop();
    const events = [event(), event(), event()];
    const answer = await sender().sendBatch(destination(url, { caCertificate: ca }), events);
    expect(answer.pause).toBeNull();
    expect(answer.outcomes).toEqual(
      events.map(() => ({ kind: 'retry', error: 'network error ECONNREFUSED' })),
    );
    expect(answer.summary).toBe('not delivered: network error ECONNREFUSED');
  });

  it('retries when the receiver accepts TCP but never answers the handshake, at DELIVERY_TIMEOUT_MS', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const started = Date.now();
      const answer = await sender(800).sendBatch(destination(`tls://127.0.0.1:${port}`), [event()]);
      const elapsed = Date.now() - started;
      expect(answer.outcomes).toEqual([{ kind: 'retry', error: 'timed out' }]);
      expect(elapsed).toBeGreaterThanOrEqual(700);
      expect(elapsed).toBeLessThan(3_000);
      expect(sockets).toHaveLength(1);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('SyslogSender with a receiver that checks client certificates (x509/name)', () => {
  let rsyslog: Rsyslog;

  beforeAll(async () => {
    rsyslog = await Rsyslog.start({ permittedPeers: [PERMITTED_CLIENT_NAME] });
  });

  afterAll(async () => {
    await rsyslog.stop();
  });

  it('delivers with the permitted client certificate', async () => {
    const before = rsyslog.messages().length;
    const events = [event(), event()];
    const answer = await sender().sendBatch(
      destination(rsyslog.url, {
        caCertificate: rsyslog.serverCertificate,
        clientCertificate: rsyslog.client.certificate,
        clientKey: rsyslog.client.key,
      }),
      events,
    );
    expect(answer.outcomes).toEqual([{ kind: 'delivered' }, { kind: 'delivered' }]);
    const received = (await rsyslog.waitForMessages(before + 2)).slice(before);
    expect(received.map((m) => m.msg)).toEqual(events.map((e) => e.body));
  });

  it.each([
    ['no client certificate', undefined],
    ['a client certificate whose name is not permitted', 'stranger'],
  ])('pauses, with nothing received, when it presents %s', async (_what, which) => {
    const before = rsyslog.messages().length;
    const pair = which === 'stranger' ? rsyslog.stranger : undefined;
    const answer = await sender().sendBatch(
      destination(rsyslog.url, {
        caCertificate: rsyslog.serverCertificate,
        ...(pair === undefined ? {} : { clientCertificate: pair.certificate, clientKey: pair.key }),
      }),
      [event(), event()],
    );
    expect(answer.pause?.reason).toMatch(/refused the client certificate or its absence/);
    expect(answer.outcomes).toEqual([{ kind: 'not_sent' }, { kind: 'not_sent' }]);
    const keyBody = rsyslog.stranger.key.split('\n')[1];
    expect(answer.summary).not.toContain(keyBody);
    await sleep(300);
    expect(rsyslog.messages()).toHaveLength(before);
  });
});

describe('SYSLOG_SETTINGS', () => {
  function refusal(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      if (error instanceof InvalidInputError) {
        return error.message;
      }
      throw error;
    }
    throw new Error('not refused');
  }

  it.each([
    ['tls://syslog.example.com', 'tls://syslog.example.com:6514'],
    ['TLS://Syslog.Example.COM:10514', 'tls://syslog.example.com:10514'],
    ['tls://10.0.0.5:443', 'tls://10.0.0.5:443'],
    ['tls://[::1]:7000', 'tls://[::1]:7000'],
    ['tls://2130706433:7000', 'tls://127.0.0.1:7000'],
  ])('normalises %s to %s', (url, normalised) => {
    expect(SYSLOG_SETTINGS.checkUrl(url)).toBe(normalised);
  });

  it.each([
    ['https://syslog.example.com', 'url: must be tls://host:port'],
    ['tcp://syslog.example.com:514', 'url: must be tls://host:port'],
    ['tls://169.254.169.254:6514', 'url: host must not be a cloud metadata address'],
    ['tls://[fe80::1]:6514', 'url: host must not be a link-local address'],
    ['tls://0.0.0.0', 'url: host must not be an unspecified address'],
    ['tls://metadata.google.internal:6514', 'url: host must not be a cloud metadata service'],
    ['tls://user@syslog.example.com:6514', 'url: must be tls://host:port'],
    ['tls://syslog.example.com:6514/path', 'url: must be tls://host:port'],
    ['tls://syslog.example.com:0', 'url: port must be from 1 to 65535'],
    ['tls://syslog.example.com:70000', 'url: port must be from 1 to 65535'],
    ['tls://:6514', 'url: must include a host'],
  ])('refuses %s', (url, message) => {
    expect(refusal(() => SYSLOG_SETTINGS.checkUrl(url))).toContain(message);
  });

  it('keeps the client key apart as a credential and fills the defaults', () => {
    expect(SYSLOG_SETTINGS.parse({})).toEqual({
      settings: {
        facility: 'local0',
        appName: 'lacework-connector',
        msgId: 'ALERT',
        maxMessageBytes: 200_000,
      },
      credentials: {},
    });
    expect(SYSLOG_SETTINGS.parse({ maxMessageBytes: 1_000_000 }).settings.maxMessageBytes).toBe(1_000_000);
    expect(SYSLOG_SETTINGS.parse({ maxMessageBytes: 2048 }).settings.maxMessageBytes).toBe(2048);
    expect(SYSLOG_SETTINGS.parse({ facility: 23 }).settings.facility).toBe('local7');
    expect(SYSLOG_SETTINGS.parse({ facility: 'AUTH' }).settings.facility).toBe('auth');
    expect(SYSLOG_SETTINGS.secretFields).toEqual(['clientKey']);
    expect(SYSLOG_SETTINGS.batch).toEqual({
      defaultMaxEvents: 100,
      maxMaxEvents: 5000,
      defaultMaxBytes: 4 * 1024 * 1024,
      maxMaxBytes: 64 * 1024 * 1024,
    });
  });

  describe('with certificates', () => {
    let rsyslog: Rsyslog;

    beforeAll(async () => {
      rsyslog = await Rsyslog.start();
    });

    afterAll(async () => {
      await rsyslog.stop();
    });

    it('splits a client pair into a setting and a credential', () => {
      const parsed = SYSLOG_SETTINGS.parse({
        clientCertificate: rsyslog.client.certificate,
        clientKey: rsyslog.client.key,
        caCertificate: rsyslog.serverCertificate,
      });
      expect(parsed.credentials).toEqual({ clientKey: rsyslog.client.key });
      expect(JSON.stringify(parsed.settings)).not.toContain('PRIVATE KEY');
      expect(parsed.settings.clientCertificate).toBe(rsyslog.client.certificate);
    });

    it.each<[string, (r: Rsyslog) => Record<string, unknown>, string]>([
      ['an unknown field', () => ({ port: 514 }), 'settings.port: is not a setting of this kind'],
      [
        'a certificate without key',
        (r) => ({ clientCertificate: r.client.certificate }),
        'settings.clientKey: is required',
      ],
      [
        'a key without certificate',
        (r) => ({ clientKey: r.client.key }),
        'settings.clientCertificate: is required',
      ],
      [
        'a key that is not the certificate’s',
        (r) => ({ clientCertificate: r.client.certificate, clientKey: r.stranger.key }),
        'settings.clientKey: is not the private key of clientCertificate',
      ],
      [
        'a key given as a certificate',
        (r) => ({ caCertificate: r.client.key }),
        'settings.caCertificate: must be PEM',
      ],
      ['an unknown facility', () => ({ facility: 'local8' }), 'settings.facility: must be a facility name'],
      ['a facility out of range', () => ({ facility: 24 }), 'settings.facility'],
      [
        'an appName with a space',
        () => ({ appName: 'my app' }),
        'settings.appName: must be printable US-ASCII',
      ],
      [
        'an appName of 49 characters',
        () => ({ appName: 'a'.repeat(49) }),
        'settings.appName: must be at most 48',
      ],
      ['a msgId of 33 characters', () => ({ msgId: 'M'.repeat(33) }), 'settings.msgId: must be at most 32'],
      [
        'a hostname of 256 characters',
        () => ({ hostname: 'h'.repeat(256) }),
        'settings.hostname: must be at most 255',
      ],
      ['a non-ASCII hostname', () => ({ hostname: 'hôte' }), 'settings.hostname: must be printable US-ASCII'],
      [
        'a serverName that is no DNS name',
        () => ({ serverName: 'a b' }),
        'settings.serverName: must be a DNS name',
      ],
      ...[2047, 67_108_865, 200_000.5, '200000', -1, true].map(
        (value): [string, () => Record<string, unknown>, string] => [
          `a maxMessageBytes of ${JSON.stringify(value)}`,
          () => ({ maxMessageBytes: value }),
          'settings.maxMessageBytes: must be an integer from 2048 to 67108864',
        ],
      ),
    ])('refuses %s, naming the field', (_what, input, message) => {
      const text = refusal(() => SYSLOG_SETTINGS.parse(input(rsyslog)));
      expect(text).toContain(message);
      expect(text).not.toContain('PRIVATE KEY');
    });
  });
});
