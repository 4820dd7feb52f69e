import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * One planned answer: a bare status, or a status with extra headers, an extra delay, and a body drip-fed after the
 * headers (`dripBytes` bytes, one every `dripEveryMs`), like a server that keeps a client waiting.
 */
export type PlannedResponse =
  | number
  | {
      status: number;
      headers?: Record<string, string>;
      delayMs?: number;
      dripBytes?: number;
      dripEveryMs?: number;
    };

/** One request as the fake saw it. */
export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signatureValid: boolean;
  /** The request body exactly as sent, decoded as UTF-8. */
  body: string;
  headers: Record<string, string>;
  status: number;
  /** Date.now() when the whole request had arrived. */
  at: number;
  /** Date.now() when the response had been written to its end, or the client went away; null until then. */
  endedAt: number | null;
  method: string;
  path: string;
}

export interface FakeDownstreamOptions {
  /** `whsec_` secrets to verify with; a request passes if ANY of them verifies it. None: nothing is verified. */
  secrets?: string[];
  /** Added before every response. */
  latencyMs?: number;
}

/**
 * A Standard Webhooks receiver on 127.0.0.1 for e2e tests. It verifies signatures on the raw body with the
 * `standardwebhooks` package and answers 401 to a request that fails; others get the planned status, then the
 * default. Requests are recorded on arrival, before their response is written. Without secrets every request is
 * taken as unsigned: answered by plan, recorded with signatureValid=false.
 */
export class FakeDownstream {
  readonly received: ReceivedWebhook[] = [];
  private plan: PlannedResponse[] = [];
  private defaultStatus = 200;
  private verifiers: Webhook[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly latencyMs: number,
  ) {}

  /** Starts a server on 127.0.0.1 on a free port. */
  static async start(opts: FakeDownstreamOptions = {}): Promise<FakeDownstream> {
    const latencyMs = opts.latencyMs ?? 0;
    if (!(latencyMs >= 0)) {
      throw new RangeError(`latencyMs must be non-negative, got ${latencyMs}`);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeDownstream(server, `http://127.0.0.1:${port}`, latencyMs);
    fake.setSecrets(opts.secrets ?? []);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => fake.handle(req, res));
    return fake;
  }

  /** Answers the next requests with these responses, in order, then with the default again. Replaces any plan left. */
  respondWith(plan: PlannedResponse[]): void {
    plan.forEach((p) => assertStatus(typeof p === 'number' ? p : p.status));
    this.plan = [...plan];
  }

  /** Status given once the plan is used up; 200 to begin with. */
  setDefault(status: number): void {
    assertStatus(status);
    this.defaultStatus = status;
  }

  /** Replaces the secrets signatures are checked against. */
  setSecrets(secrets: string[]): void {
    this.verifiers = secrets.map((secret) => new Webhook(secret));
  }

  /** webhook-id values seen, once each. */
  uniqueIds(): Set<string> {
    return new Set(this.received.filter((r) => r.id !== '').map((r) => r.id));
  }

  /** webhook-id -> body of the first request with that id that was answered 2xx. */
  deliveredBodies(): Map<string, string> {
    const bodies = new Map<string, string>();
    for (const r of this.received) {
      if (r.status >= 200 && r.status <= 299 && !bodies.has(r.id)) {
        bodies.set(r.id, r.body);
      }
    }
    return bodies;
  }

  /** Forgets every request recorded so far. */
  clearReceived(): void {
    this.received.length = 0;
  }

  /** Resolves once `predicate` holds, checking every 10 ms; rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() >= deadline) {
        throw new Error(
          `FakeDownstream.waitFor timed out after ${timeoutMs} ms with ${this.received.length} requests received`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Stops listening and drops open connections, including responses still being delayed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.timers.forEach((timer) => clearTimeout(timer));
      this.timers.clear();
      this.server.close((err) => (err ? reject(err) : resolve()));
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => this.answer(req, res, Buffer.concat(chunks).toString('utf8')));
  }

  private answer(req: IncomingMessage, res: ServerResponse, body: string): void {
    const headers = flattenHeaders(req);
    const signatureValid = this.verify(body, headers);
    const rejected = this.verifiers.length > 0 && !signatureValid;
    // A forged request must not use up a planned answer meant for the genuine ones.
    const planned: PlannedResponse = rejected ? 401 : (this.plan.shift() ?? this.defaultStatus);
    const response = typeof planned === 'number' ? { status: planned } : planned;
    const record: ReceivedWebhook = {
      id: headers['webhook-id'] ?? '',
      timestamp: headers['webhook-timestamp'] ?? '',
      signatureValid,
      body,
      headers,
      status: response.status,
      at: Date.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      endedAt: null,
    };
    this.received.push(record);
    res.once('close', () => (record.endedAt ??= Date.now()));
    const send = (): void => {
      if (res.destroyed) {
        return;
      }
      res.writeHead(response.status, { 'content-type': 'text/plain', ...response.headers });
      if (response.dripBytes !== undefined) {
        this.drip(res, response.dripBytes, response.dripEveryMs ?? 500);
        return;
      }
      res.end(response.status === 204 || response.status === 304 ? undefined : `${response.status}\n`);
    };
    const delayMs = this.latencyMs + (response.delayMs ?? 0);
    if (delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, delayMs);
    this.timers.add(timer);
  }

  /** Writes one byte every `everyMs` after the headers, then ends; stops when the client goes away. */
  private drip(res: ServerResponse, bytes: number, everyMs: number): void {
    let left = bytes;
    const tick = (): void => {
      if (res.destroyed) {
        return;
      }
      if (left <= 0) {
        res.end();
        return;
      }
      left -= 1;
      res.write('.');
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        tick();
      }, everyMs);
      this.timers.add(timer);
    };
    tick();
  }

  private verify(body: string, headers: Record<string, string>): boolean {
    const signed = {
      'webhook-id': headers['webhook-id'] ?? '',
      'webhook-timestamp': headers['webhook-timestamp'] ?? '',
      'webhook-signature': headers['webhook-signature'] ?? '',
    };
    return this.verifiers.some((verifier) => {
      try {
        verifier.verify(body, signed, { jsonParse: false });
        return true;
      } catch {
        return false;
      }
    });
  }
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) {
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return headers;
}

function assertStatus(status: number): void {
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new RangeError(`planned status must be an integer from 200 to 599, got ${status}`);
  }
}
