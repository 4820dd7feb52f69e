import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { AppConfig } from '../../src/config/app-config';
import { validateEnv } from '../../src/config/env.validation';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';
export const VIEWER_TOKEN = 'test-viewer-token-0123456789abcdef';
export const SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

/** The environment a test instance runs with; tests override single values. */
export function testEnv(databaseUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    VIEWER_API_TOKEN: VIEWER_TOKEN,
    SECRETS_KEY,
    LOG_LEVEL: 'silent',
    SCHEDULER_ENABLED: 'false',
    LACEWORK_EXTRA_ALLOWED_HOSTS: '127.0.0.1',
    AUTH_FAILURES_PER_MINUTE: '100000',
    ...overrides,
  };
}

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  baseUrl: string;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

/** Boots the real AppModule on the given database and listens on 127.0.0.1, port 0. */
export async function startTestApp(
  databaseUrl: string,
  overrides: Record<string, string> = {},
): Promise<TestApp> {
  const config = validateEnv(testEnv(databaseUrl, overrides));
  const app = await createApp(config, databaseUrl);
  await app.listen(0, '127.0.0.1');
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, config, baseUrl, http: request(baseUrl), close: () => app.close() };
}

export const asAdmin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
export const asViewer = { Authorization: `Bearer ${VIEWER_TOKEN}` };

/** A 4xx response's message in one string (class-validator answers with a list). */
export function messageOf(body: { message?: unknown }): string {
  return Array.isArray(body.message) ? body.message.join('; ') : String(body.message);
}
