import type { IncomingMessage, ServerResponse } from 'node:http';

/** Small pieces the HTTP fakes share. */

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Answers with a JSON body and its exact length; `contentType` as the imitated service writes it. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json; charset=utf-8',
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/**
 * Holds a fake's answers back on demand: a receiver that took the request and is slow to reply (or never does, until
 * released), so a test can act while a request is out.
 */
export class AnswerGate {
  private delay: number | 'hold' = 0;
  private readonly held = new Set<() => void>();
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Answers from now on after `delay` ms, or only when {@link release} is called (`'hold'`); 0 answers at once. */
  setDelay(delay: number | 'hold'): void {
    this.delay = delay;
  }

  /** Writes the answer now, after the delay, or when released. Returns what drops it if the client goes away. */
  answer(write: () => void): () => void {
    let done = false;
    const once = (): void => {
      this.held.delete(once);
      if (!done) {
        done = true;
        write();
      }
    };
    const drop = (): void => {
      done = true;
      this.held.delete(once);
    };
    if (this.delay === 'hold') {
      this.held.add(once);
    } else if (this.delay > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        once();
      }, this.delay);
      this.timers.add(timer);
    } else {
      once();
    }
    return drop;
  }

  /** Writes every held answer now. */
  release(): void {
    for (const write of [...this.held]) {
      write();
    }
  }

  /** Forgets every held or timed answer (the server is closing). */
  close(): void {
    for (const timer of this.timers) {
      clearTimeout(timer);
    }
    this.timers.clear();
    this.held.clear();
  }
}
