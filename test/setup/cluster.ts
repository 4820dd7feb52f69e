import { get } from 'node:http';
import { spawnService, SpawnedService } from './spawn-service';
import { ADMIN_TOKEN, SECRETS_KEY, VIEWER_TOKEN } from './test-app';

/** Several real service processes on one database, started, killed and restarted by a fault scenario. */
export class Cluster {
  private readonly instances: (SpawnedService | null)[] = [];
  readonly urls: (string | null)[] = [];

  constructor(private readonly env: Record<string, string>) {}

  static env(databaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
    return {
      DATABASE_URL: databaseUrl,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      VIEWER_API_TOKEN: VIEWER_TOKEN,
      SECRETS_KEY,
      LOG_LEVEL: 'info',
      PORT: '0',
      HOST: '127.0.0.1',
      POLLING_ENABLED: 'false',
      SCHEDULER_TICK_MS: '50',
      LEASE_SECONDS: '2',
      LACEWORK_EXTRA_ALLOWED_HOSTS: '127.0.0.1',
      LACEWORK_RETRY_BASE_MS: '5',
      SCOPE_RETRY_BASE_MS: '20',
      DELIVERY_RETRY_SCALE: '0.0001',
      CIRCUIT_PROBE_AFTER_MS: '200',
      AUTH_FAILURES_PER_MINUTE: '100000',
      // requestsPerHour counts per minute: the budget paces as in production, 60 times faster.
      LACEWORK_BUDGET_WINDOW_MS: '60000',
      ...overrides,
    };
  }

  async start(index: number, extraEnv: Record<string, string> = {}): Promise<string> {
    const service = spawnService({ ...this.env, ...extraEnv, WORKER_ID: `instance-${index}-${Date.now()}` });
    this.instances[index] = service;
    const url = await service.ready(60_000);
    this.urls[index] = url;
    return url;
  }

  async kill(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const service = this.instances[index];
    if (service) {
      await service.kill(signal);
    }
    this.instances[index] = null;
    this.urls[index] = null;
  }

  /** Any running instance's URL. */
  anyUrl(): string {
    const url = this.urls.find((u) => u !== null);
    if (!url) {
      throw new Error('no instance is running');
    }
    return url;
  }

  async stopAll(): Promise<void> {
    for (let i = 0; i < this.instances.length; i++) {
      await this.kill(i, 'SIGTERM');
    }
  }

  /** Instances that ended without being killed by the scenario, each with the end of what it wrote. */
  diedOnTheirOwn(): string[] {
    return this.instances.flatMap((service, index) =>
      service && (service.child.exitCode !== null || service.child.signalCode !== null)
        ? [
            `instance ${index} exited (${service.child.exitCode ?? service.child.signalCode}):\n${service.stderr().slice(-2000)}${service.stdout().slice(-2000)}`,
          ]
        : [],
    );
  }

  pid(index: number): number | undefined {
    return this.instances[index]?.child.pid;
  }

  logs(index: number): string {
    return this.instances[index]?.stdout() ?? '';
  }
}

export async function api(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  token = ADMIN_TOKEN,
): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

/**
 * GETs a URL on a connection of its own and answers the status. fetch reuses a kept-alive socket that the service may
 * be closing at that moment ("other side closed"); a fault scenario that asks about health must not mistake that for
 * the service's answer. A service that is down still fails it (connection refused).
 */
export function statusOnNewConnection(url: string, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
