import { FakeDownstream } from './fakes/fake-downstream';
import { asAdmin, startTestApp, TestApp } from './setup/test-app';
import { createTestDatabase, TestDatabase } from './setup/test-database';

const SECRET = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
const INGEST_TOKEN = 'Bearer ingest-token-that-only-the-pipeline-may-see';

/** A write-only value (a static header) goes only to the URL it was given for. */
describe('write-only values follow no changed URL', () => {
  let db: TestDatabase;
  let app: TestApp;
  let pipeline: FakeDownstream;
  let elsewhere: FakeDownstream;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(db.url);
    pipeline = await FakeDownstream.start({ secrets: [SECRET] });
    elsewhere = await FakeDownstream.start({ secrets: [SECRET] });
  });

  afterAll(async () => {
    await app?.close();
    await pipeline?.close();
    await elsewhere?.close();
    await db?.drop();
  });

  it('refuses a new destination URL without the headers given again, and sends them nowhere else', async () => {
    const created = await app.http
      .post('/api/v1/destinations')
      .set(asAdmin)
      .send({
        name: 'pipeline',
        url: pipeline.url,
        signingSecret: SECRET,
        headers: { Authorization: INGEST_TOKEN },
      });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const moved = await app.http
      .patch(`/api/v1/destinations/${id}`)
      .set(asAdmin)
      .send({ url: elsewhere.url });
    expect(moved.status).toBe(400);
    expect(moved.body.message).toMatch(/^headers: required when url changes/);
    expect((await app.http.post(`/api/v1/destinations/${id}/test`).set(asAdmin)).body.ok).toBe(true);
    expect(pipeline.received.map((r) => r.headers.authorization)).toEqual([INGEST_TOKEN]);
    expect(elsewhere.received).toHaveLength(0);

    const renamed = await app.http
      .patch(`/api/v1/destinations/${id}`)
      .set(asAdmin)
      .send({ url: pipeline.url, name: 'same place' });
    expect(renamed.status).toBe(200);

    const movedWithout = await app.http
      .patch(`/api/v1/destinations/${id}`)
      .set(asAdmin)
      .send({ url: elsewhere.url, headers: {} });
    expect(movedWithout.status).toBe(200);
    expect((await app.http.post(`/api/v1/destinations/${id}/test`).set(asAdmin)).body.ok).toBe(true);
    expect(elsewhere.received).toHaveLength(1);
    expect(elsewhere.received[0].headers.authorization).toBeUndefined();
  });

  it('lets a destination without headers move freely', async () => {
    const created = await app.http
      .post('/api/v1/destinations')
      .set(asAdmin)
      .send({ name: 'plain', url: pipeline.url, signingSecret: SECRET });
    const moved = await app.http
      .patch(`/api/v1/destinations/${created.body.id}`)
      .set(asAdmin)
      .send({ url: elsewhere.url });
    expect(moved.status).toBe(200);
    expect(moved.body.url).toBe(new URL(elsewhere.url).toString());
  });
});
