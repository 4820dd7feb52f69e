import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { validateEnv } from '../src/config/env.validation';
import { DestinationHttp } from '../src/delivery/senders/destination-http';
import { testEnv } from './setup/test-app';

/** A receiver that resets the connection of the requests whose number (from 1) `resets` names, answers the rest. */
async function startReceiver(
  resets: (n: number) => boolean,
): Promise<{ server: Server; url: string; seen: () => number }> {
  let seen = 0;
  const server = createServer((req, res) => {
    seen += 1;
    const n = seen;
    req.resume();
    req.on('end', () => {
      if (resets(n)) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/in`, seen: () => seen };
}

function client(): DestinationHttp {
  return new DestinationHttp(validateEnv(testEnv('postgres://unused@127.0.0.1/unused', {})));
}

describe('DestinationHttp: a connection closed before any answer', () => {
  it('sends once more on a new connection when a kept-alive connection is reset as the request goes out', async () => {
    const receiver = await startReceiver((n) => n === 2);
    try {
      const http = client();
      const first = await http.request(receiver.url, '{"a":1}', { headers: {} });
      const second = await http.request(receiver.url, '{"a":2}', { headers: {} });
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(receiver.seen()).toBe(3);
    } finally {
      receiver.server.closeAllConnections();
      await new Promise((resolve) => receiver.server.close(resolve));
    }
  });

  it('tries at most twice when every connection is reset, and says so', async () => {
    const receiver = await startReceiver(() => true);
    try {
      const answer = await client().request(receiver.url, '{"a":1}', { headers: {} });
      expect(answer).toMatchObject({ status: null, error: 'network error ECONNRESET' });
      expect(receiver.seen()).toBe(2);
    } finally {
      receiver.server.closeAllConnections();
      await new Promise((resolve) => receiver.server.close(resolve));
    }
  });
});
