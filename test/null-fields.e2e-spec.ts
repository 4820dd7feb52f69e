import { FakeLacework } from './fakes/fake-lacework';
import { KEY } from './setup/sync-helpers';
import { asAdmin, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';

const DESTINATION_FIELDS = [
  'name',
  'kind',
  'format',
  'settings',
  'batch',
  'url',
  'signingSecret',
  'headers',
  'enabled',
];
const INTEGRATION_FIELDS = [
  'name',
  'organizationUrl',
  'keyId',
  'secret',
  'pollIntervalSeconds',
  'initialLookbackHours',
  'requestsPerHour',
  'enabled',
  'extraScopes',
  'destinationIds',
];

/** A response's message in one string (class-validator answers with a list). */
function messageOf(body: { message?: unknown }): string {
  return Array.isArray(body.message) ? body.message.join('; ') : String(body.message);
}

/** `null` where a field has no "cleared" meaning: a 400 naming the field, never a 500, and nothing written. */
describe('null for a field that cannot be null', () => {
  let db: TestDatabase;
  let app: TestApp;
  let lacework: FakeLacework;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url);
    lacework = await FakeLacework.start();
    lacework.addKey(KEY);
  });

  afterAll(async () => {
    await app?.close();
    await lacework?.close();
    await db?.drop();
  });

  const snapshot = async (): Promise<string> =>
    (
      await db.query<{ t: string }>(
        `SELECT coalesce(string_agg(x, '|' ORDER BY x), '') AS t FROM (
           SELECT 'i' || t::text AS x FROM integrations t UNION ALL SELECT 'd' || t::text FROM destinations t) s`,
      )
    )[0].t;

  it('refuses it on a destination, created or updated', async () => {
    const base = { name: 'receiver', url: 'https://receiver.example.com/in' };
    const created = await app.http.post('/api/v1/destinations').set(asAdmin).send(base);
    expect(created.status).toBe(201);
    const before = await snapshot();
    for (const field of DESTINATION_FIELDS) {
      const create = await app.http
        .post('/api/v1/destinations')
        .set(asAdmin)
        .send({ ...base, name: `other-${field}`, [field]: null });
      const update = await app.http
        .patch(`/api/v1/destinations/${created.body.id}`)
        .set(asAdmin)
        .send({ [field]: null });
      for (const res of [create, update]) {
        expect({ field, status: res.status }).toEqual({ field, status: 400 });
        expect(messageOf(res.body)).toMatch(new RegExp(`^${field}\\b`));
      }
    }
    expect(await snapshot()).toBe(before);
  });

  it('refuses it on an integration, created or updated, and keeps null where it clears a value', async () => {
    const base = { name: 'org', organizationUrl: lacework.url, ...KEY };
    const created = await app.http.post('/api/v1/integrations').set(asAdmin).send(base);
    expect(created.status).toBe(201);
    const before = await snapshot();
    for (const field of INTEGRATION_FIELDS) {
      const create = await app.http
        .post('/api/v1/integrations')
        .set(asAdmin)
        .send({ ...base, name: `other-${field}`, [field]: null });
      const update = await app.http
        .patch(`/api/v1/integrations/${created.body.id}`)
        .set(asAdmin)
        .send({ [field]: null });
      for (const res of [create, update]) {
        expect({ field, status: res.status }).toEqual({ field, status: 400 });
        expect(messageOf(res.body)).toMatch(new RegExp(`^${field}\\b`));
      }
    }
    expect(await snapshot()).toBe(before);
    const cleared = await app.http
      .patch(`/api/v1/integrations/${created.body.id}`)
      .set(asAdmin)
      .send({ subAccount: null, minSeverity: null, includeAlertTypes: null, destinationId: null });
    expect(cleared.status).toBe(200);
  });
});
