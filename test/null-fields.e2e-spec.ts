import { FakeLacework } from './fakes/fake-lacework';
import { KEY } from './setup/sync-helpers';
import { asAdmin, messageOf, startTestApp, TestApp } from './setup/test-app';
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

  /**
   * Creates one resource at `collection` from `base`, then sends each field as null, on a create and on an update
   * of that resource: each a 400 whose message begins with the field, and nothing written. Answers the created id.
   */
  async function expectNullRefused(
    collection: string,
    base: Record<string, unknown>,
    fields: readonly string[],
  ): Promise<string> {
    const created = await app.http.post(collection).set(asAdmin).send(base);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const before = await snapshot();
    for (const field of fields) {
      const create = await app.http
        .post(collection)
        .set(asAdmin)
        .send({ ...base, name: `other-${field}`, [field]: null });
      const update = await app.http
        .patch(`${collection}/${id}`)
        .set(asAdmin)
        .send({ [field]: null });
      for (const res of [create, update]) {
        expect({ field, status: res.status }).toEqual({ field, status: 400 });
        expect(messageOf(res.body)).toMatch(new RegExp(`^${field}\\b`));
      }
    }
    expect(await snapshot()).toBe(before);
    return id;
  }

  it('refuses it on a destination, created or updated', async () => {
    await expectNullRefused(
      '/api/v1/destinations',
      { name: 'receiver', url: 'https://receiver.example.com/in' },
      DESTINATION_FIELDS,
    );
  });

  it('refuses it on an integration, created or updated, and keeps null where it clears a value', async () => {
    const id = await expectNullRefused(
      '/api/v1/integrations',
      { name: 'org', organizationUrl: lacework.url, ...KEY },
      INTEGRATION_FIELDS,
    );
    const cleared = await app.http
      .patch(`/api/v1/integrations/${id}`)
      .set(asAdmin)
      .send({ subAccount: null, minSeverity: null, includeAlertTypes: null, destinationId: null });
    expect(cleared.status).toBe(200);
  });
});
