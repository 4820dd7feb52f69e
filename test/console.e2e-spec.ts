import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, Response } from 'playwright-core';
import { FakeDownstream } from './fakes/fake-downstream';
import { FakeLacework, generateAlerts } from './fakes/fake-lacework';
import { startFakeSplunkHec } from './fakes/fake-splunk-hec';
import { axeViolations, Browser, launchBrowser } from './setup/browser';
import { api, Cluster } from './setup/cluster';
import { createTestDatabase, TestDatabase } from './setup/test-database';
import { ADMIN_TOKEN, VIEWER_TOKEN } from './setup/test-app';
import { hourStart, waitFor } from './setup/wait';

/**
 * The web console in headless Chromium against the built service on PostgreSQL, with the fake Lacework and the fake
 * downstream: what an operator does, what a viewer cannot do, and what the page must never do.
 */
const ARTIFACTS = join(__dirname, '..', 'test-artifacts', 'console');
const XSS_NAME = '<img src=x onerror="window.__xss=1">';
const XSS_TYPE = '<script>window.__xss=2</script>';
const KEY = { keyId: 'CONSOLE_KEY_00000000000000000000', secret: '_console_secret_abcdefghijklmnop' };
const OTHER_KEY = { keyId: 'REVOKED_KEY_00000000000000000000', secret: '_revoked_secret_abcdefghijklmnop' };
const ALERTS = 12;
const HEC_TOKEN = 'c0ffee00-5eed-4abc-9def-0123456789ab';

jest.setTimeout(180_000);

describe('web console (Chromium)', () => {
  let db: TestDatabase;
  let lacework: FakeLacework;
  let downstream: FakeDownstream;
  let cluster: Cluster;
  let base: string;
  let browser: Browser;
  let admin: Page;
  let destinationId = '';
  let integrationId = '';

  const screenshot = async (page: Page, name: string): Promise<void> => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  const signIn = async (page: Page, token: string): Promise<void> => {
    await page.goto(`${base}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  /** Opens a screen by its hash and waits until it has drawn its heading. */
  const open = async (page: Page, hash: string, heading: string | RegExp): Promise<void> => {
    await page.goto(`${base}/#/${hash}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    db = await createTestDatabase();
    lacework = await FakeLacework.start();
    downstream = await FakeDownstream.start();
    lacework.addKey({ ...KEY, subAccount: 'acme-sub' });
    const seeds = generateAlerts(ALERTS - 1, {
      start: hourStart(6 * 3_600_000),
      hours: 4,
      subAccount: 'acme-sub',
    });
    seeds.push({
      alertId: '9999999',
      alertName: XSS_NAME,
      alertType: XSS_TYPE,
      severity: 'Critical',
      startTime: hourStart(2 * 3_600_000),
      subAccount: 'acme-sub',
      scopes: {
        Details: JSON.stringify({ description: `${XSS_NAME} ${XSS_TYPE}`, policyName: XSS_TYPE }),
      },
    });
    lacework.addAlerts(seeds);
    cluster = new Cluster(Cluster.env(db.url, { CIRCUIT_MIN_REQUESTS: '10000' }));
    base = (await cluster.start(0)).replace('[::1]', '127.0.0.1');
    browser = await launchBrowser();
    admin = await browser.context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stopAll();
    await lacework?.close();
    await downstream?.close();
    await db?.drop();
  });

  it('refuses a wrong token with a clear message and keeps nothing', async () => {
    const page = await browser.context.newPage();
    await signIn(page, 'not-the-token-0123456789abcdef0123456789');
    await page.getByRole('alert').filter({ hasText: 'This token is not valid for this service' }).waitFor();
    await screenshot(page, 'sign-in-refused');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    expect(page.url()).not.toContain('not-the-token');
    await page.close();
  });

  it('admin signs in, creates a destination, adds an organization from its key file, tests, saves and syncs', async () => {
    await signIn(admin, ADMIN_TOKEN);
    await admin.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await admin.getByText('No organization yet — add one with its API key file.').waitFor();
    expect(await admin.evaluate('document.cookie')).toBe('');

    await open(admin, 'destinations', 'Destinations');
    await admin.getByText('No destination yet').waitFor();
    await admin.getByRole('button', { name: 'Add a destination' }).click();
    await admin.getByLabel('Name', { exact: true }).fill('pipeline');
    await admin.getByLabel('Webhook URL').fill(`${downstream.url}/ingest`);
    await admin.getByRole('button', { name: 'Create' }).click();
    await admin.getByText('it will not be shown again').waitFor();
    const secret = (await admin.locator('pre.secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    downstream.setSecrets([secret]);
    await screenshot(admin, 'destination-secret-once');
    await admin.getByRole('button', { name: 'Done' }).click();
    destinationId = (await api(base, 'GET', '/api/v1/destinations')).json.items[0].id;

    await open(admin, 'integrations', 'Integrations');
    await admin.getByText('No organization yet — add one with its API key file.').waitFor();
    await admin.getByRole('button', { name: 'Add an organization' }).click();
    const keyFile = { ...KEY, account: 'acme', subAccount: 'acme-sub' };
    await admin.getByLabel('API key file').setInputFiles({
      name: 'acme-key.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(keyFile)),
    });
    await admin.getByText(`…${KEY.secret.slice(-4)} (not shown)`).waitFor();
    expect(await admin.getByLabel('Organization URL').inputValue()).toBe('https://acme.lacework.net');
    expect(await admin.content()).not.toContain(KEY.secret);
    // The fake Lacework stands in for the organization's cluster.
    await admin.getByLabel('Organization URL').fill(lacework.url);
    await admin.getByLabel('Name', { exact: true }).fill('acme');
    await admin.getByRole('button', { name: 'Test connection' }).click();
    await admin.getByText(/Connection ok in \d+ ms/).waitFor();
    await screenshot(admin, 'integration-add');
    await admin.getByRole('button', { name: 'Save', exact: true }).click();
    await admin.getByText(/Saved acme/).waitFor();
    integrationId = (await api(base, 'GET', '/api/v1/integrations')).json.items[0].id;

    await admin.getByRole('button', { name: 'Edit acme' }).click();
    await admin.getByRole('checkbox', { name: 'pipeline (Webhook)' }).check();
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.getByText('Saved.').waitFor();
    expect((await api(base, 'GET', `/api/v1/integrations/${integrationId}`)).json.destinationId).toBe(
      destinationId,
    );

    // The downstream refuses everything until the deliveries are dead.
    downstream.setDefault(500);
    await admin.getByRole('button', { name: 'Sync now: acme' }).click();
    await admin.getByText(/Sync started/).waitFor();
    await screenshot(admin, 'integrations');
  });

  it('fills the alert list, and the downloaded document is the stored one byte for byte', async () => {
    await waitFor(
      async () =>
        (await db.query(`SELECT count(*)::int AS n FROM alerts WHERE state = 'complete'`))[0].n === ALERTS,
      60_000,
      'every alert assembled',
    );
    await open(admin, 'alerts', 'Alerts');
    await admin
      .locator('table tbody tr')
      .nth(ALERTS - 1)
      .waitFor();
    expect(await admin.locator('table tbody tr').count()).toBe(ALERTS);
    await screenshot(admin, 'alerts');

    await admin.locator('table tbody tr a').first().click();
    await admin.getByRole('heading', { level: 2, name: 'Document' }).waitFor();
    await admin.locator('#download-document').waitFor();
    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      admin.locator('#download-document').click(),
    ]);
    const downloaded = readFileSync(await download.path());
    const alertId = admin.url().split('/').pop() as string;
    const stored = await fetch(`${base}/api/v1/alerts/${alertId}/document`, {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(downloaded.equals(Buffer.from(await stored.arrayBuffer()))).toBe(true);
    await admin.getByText('Open in the Lacework console').waitFor();
    for (const scope of ['Details', 'Investigation', 'Events', 'RelatedAlerts', 'Integrations', 'Timeline']) {
      await admin.getByRole('cell', { name: scope, exact: true }).first().waitFor();
    }
    await screenshot(admin, 'alert');
  });

  it('shows markup from Lacework as text and runs none of it', async () => {
    await open(admin, 'alerts', 'Alerts');
    await admin.getByText(XSS_NAME, { exact: true }).waitFor();
    await admin.getByText(XSS_TYPE, { exact: true }).waitFor();
    await admin.getByRole('link', { name: XSS_NAME }).click();
    await admin.getByRole('heading', { level: 1, name: XSS_NAME }).waitFor();
    await admin.locator('pre.document').filter({ hasText: 'window.__xss=2' }).waitFor();
    expect(await admin.evaluate('window.__xss')).toBeUndefined();
    expect(await admin.locator('main img').count()).toBe(0);
    expect(await admin.locator('main script').count()).toBe(0);
  });

  it('shows the destination unhealthy while deliveries are dead, and healthy again after "Replay all dead"', async () => {
    await waitFor(
      async () => (await api(base, 'GET', '/api/v1/status')).json.destinations[0]?.dead === ALERTS,
      60_000,
      'every delivery dead',
    );
    await open(admin, 'overview', 'Overview');
    const destinationRow = admin.locator('tr[data-destination="pipeline"]');
    await destinationRow.waitFor();
    expect(await destinationRow.textContent()).toContain(String(ALERTS));
    expect(await destinationRow.textContent()).toMatch(/0 %/);
    expect(await admin.locator('tr[data-integration="acme"]').getAttribute('data-health')).toBe('degraded');
    await screenshot(admin, 'overview-dead');

    downstream.setDefault(200);
    await open(admin, `deliveries?destinationId=${destinationId}&state=dead`, 'Deliveries');
    await admin.locator('tr[data-state="dead"]').first().waitFor();
    await admin.locator('#replay-count').click();
    await admin.getByText(`${ALERTS} dead deliveries will be sent again.`).waitFor();
    await admin.locator('#replay-go').click();
    await admin.getByText(`Replaying ${ALERTS} deliveries.`).waitFor();
    await waitFor(() => downstream.uniqueIds().size === ALERTS, 60_000, 'every alert delivered');
    // The receiver has them a moment before their rows say delivered: the list below is read once.
    await waitFor(
      async () =>
        (await db.query(`SELECT count(*)::int AS n FROM deliveries WHERE state = 'delivered'`))[0].n ===
        ALERTS,
      30_000,
      'every delivery marked delivered',
    );
    await admin.getByLabel('State', { exact: true }).selectOption('delivered');
    await admin.getByRole('button', { name: 'Apply' }).click();
    await admin
      .locator('tr[data-state="delivered"]')
      .nth(ALERTS - 1)
      .waitFor();
    await admin
      .getByRole('button', { name: /^Attempts of/ })
      .first()
      .click();
    await admin
      .getByText(/HTTP 500/)
      .first()
      .waitFor();
    await admin
      .getByText(/HTTP 200/)
      .first()
      .waitFor();
    await screenshot(admin, 'deliveries');

    await waitFor(
      async () => {
        await open(admin, 'overview', 'Overview');
        await admin.locator('tr[data-integration="acme"]').waitFor();
        return (
          (await admin.locator('tr[data-integration="acme"]').getAttribute('data-health')) === 'ok' &&
          (await admin.locator('tr[data-destination="pipeline"]').getAttribute('data-state')) === 'ok'
        );
      },
      60_000,
      'the overview healthy again',
    );
    await admin.locator('figure.chart-box').nth(2).waitFor();
    await screenshot(admin, 'overview');
  });

  it('shows a revoked key as a failing integration with the advice to rotate it', async () => {
    lacework.addKey({ ...OTHER_KEY, subAccount: 'other-sub' });
    const created = await api(base, 'POST', '/api/v1/integrations', {
      name: 'revoked-org',
      organizationUrl: lacework.url,
      ...OTHER_KEY,
      subAccount: 'other-sub',
    });
    expect(created.status).toBe(201);
    lacework.revokeKey(OTHER_KEY.keyId);
    expect((await api(base, 'POST', `/api/v1/integrations/${created.json.id}/sync`)).status).toBe(202);
    await waitFor(
      async () =>
        (await api(base, 'GET', `/api/v1/integrations/${created.json.id}/status`)).json.health === 'failing',
      60_000,
      'the revoked integration failing',
    );
    await open(admin, 'overview', 'Overview');
    const failing = admin.locator('tr[data-integration="revoked-org"]');
    await failing.waitFor();
    expect(await failing.getAttribute('data-health')).toBe('failing');
    await failing.getByText(/rotate it/).waitFor();
    await screenshot(admin, 'overview-revoked');
  });

  it('gives the viewer every screen without a single write control, and the API refuses a write from the page', async () => {
    const viewer = await browser.context.newPage();
    await signIn(viewer, VIEWER_TOKEN);
    await viewer.getByText('Signed in as viewer (read only)').waitFor();
    const alertId = (await api(base, 'GET', '/api/v1/alerts?limit=1')).json.items[0].id;
    const writeControl =
      /^(Add|Save|Create|Delete|Pause|Resume|Sync now|Backfill|Rotate|Retry|Replay|Redeliver|Test|Edit|Count)/;
    for (const [hash, heading] of [
      ['overview', 'Overview'],
      ['integrations', 'Integrations'],
      [`sync-history/${integrationId}`, 'Sync history'],
      ['alerts', 'Alerts'],
      [`alert/${alertId}`, /./],
      [`deliveries?destinationId=${destinationId}`, 'Deliveries'],
      ['destinations', 'Destinations'],
    ] as const) {
      await open(viewer, hash, heading);
      await viewer.locator('table').first().waitFor();
      await viewer.waitForLoadState('networkidle');
      const buttons = await viewer.locator('main button, main input[type=file]').allTextContents();
      expect({ hash, writes: buttons.filter((b) => writeControl.test(b.trim())) }).toEqual({
        hash,
        writes: [],
      });
      expect(await viewer.locator('main input[type=file]').count()).toBe(0);
    }
    const status = await viewer.evaluate(`fetch('/api/v1/integrations/${integrationId}/sync', {
      method: 'POST', headers: { Authorization: 'Bearer ' + sessionStorage.getItem('lc.token') } }).then((r) => r.status)`);
    expect(status).toBe(403);
    await viewer.getByRole('button', { name: 'Sign out' }).click();
    await viewer.getByLabel('API token').waitFor();
    expect(await viewer.evaluate('sessionStorage.length')).toBe(0);
    await viewer.close();
  });

  it('passes axe-core on every screen with no serious or critical violation', async () => {
    const alertId = (await api(base, 'GET', '/api/v1/alerts?limit=1')).json.items[0].id;
    const found: Record<string, unknown[]> = {};
    for (const [name, hash, heading] of [
      ['overview', 'overview', 'Overview'],
      ['integrations', 'integrations', 'Integrations'],
      ['sync-history', `sync-history/${integrationId}`, 'Sync history'],
      ['alerts', 'alerts', 'Alerts'],
      ['alert-detail', `alert/${alertId}`, /./],
      ['deliveries', `deliveries?destinationId=${destinationId}`, 'Deliveries'],
      ['destinations', 'destinations', 'Destinations'],
    ] as const) {
      await open(admin, hash, heading);
      await admin.locator('table').first().waitFor();
      await admin.waitForLoadState('networkidle');
      await screenshot(admin, name === 'overview' ? 'overview-a11y' : name);
      const serious = (await axeViolations(admin)).filter(
        (v) => v.impact === 'serious' || v.impact === 'critical',
      );
      if (serious.length > 0) {
        found[name] = serious;
      }
    }
    const signInPage = await browser.context.newPage();
    await signInPage.goto(`${base}/`);
    await signInPage.getByLabel('API token').waitFor();
    await screenshot(signInPage, 'sign-in');
    const signInViolations = (await axeViolations(signInPage)).filter(
      (v) => v.impact === 'serious' || v.impact === 'critical',
    );
    if (signInViolations.length > 0) {
      found['sign-in'] = signInViolations;
    }
    await signInPage.close();
    expect(found).toEqual({});
  });

  it('switches the form by kind, creates a Splunk HEC destination, tests it, and never shows its token back', async () => {
    const hec = await startFakeSplunkHec({ tokens: [{ token: HEC_TOKEN }] });
    const answers: Promise<string>[] = [];
    const onResponse = (response: Response): void => {
      if (response.url().includes('/api/')) {
        answers.push(response.text().catch(() => ''));
      }
    };
    admin.on('response', onResponse);
    const seriousViolations = async (): Promise<unknown[]> =>
      (await axeViolations(admin)).filter((v) => v.impact === 'serious' || v.impact === 'critical');
    try {
      await open(admin, 'destinations', 'Destinations');
      await admin.locator('tr[data-destination="pipeline"]').waitFor();
      await admin.getByRole('button', { name: 'Add a destination' }).click();
      const kind = admin.getByLabel('Kind', { exact: true });

      // Each kind shows its own fields; elasticsearch's follow the auth choice.
      await kind.selectOption('elasticsearch');
      await admin.getByLabel('Cluster URL').waitFor();
      expect(await admin.getByLabel('API key (encoded)').isVisible()).toBe(true);
      expect(await admin.getByLabel('Username', { exact: true }).isVisible()).toBe(false);
      await admin.getByLabel('Authentication').selectOption('basic');
      expect(await admin.getByLabel('Username', { exact: true }).isVisible()).toBe(true);
      expect(await admin.getByLabel('API key (encoded)').isVisible()).toBe(false);
      await kind.selectOption('syslog');
      expect(await admin.getByLabel('Facility').inputValue()).toBe('local0');
      await kind.selectOption('webhook');
      expect(await admin.getByLabel(/^Batch:/).count()).toBe(0);

      await kind.selectOption('splunk_hec');
      expect(await admin.getByLabel('Webhook URL').count()).toBe(0);
      await admin.getByLabel('Name', { exact: true }).fill('splunk');
      await admin.getByLabel('Format', { exact: true }).selectOption('ocsf');
      await admin.getByLabel('Collector URL').fill(hec.eventUrl);
      await admin.getByLabel('HEC token').fill(HEC_TOKEN);
      await admin.getByLabel('Index', { exact: true }).fill('security');
      await admin.getByLabel('Host', { exact: true }).fill('connector-1');
      // The acknowledgement timeout only matters with useAck.
      const ackTimeout = admin.getByLabel('Acknowledgement timeout (ms)');
      expect(await ackTimeout.isVisible()).toBe(false);
      await admin.getByLabel('Wait for indexer acknowledgement (useAck)').check();
      expect(await ackTimeout.isVisible()).toBe(true);
      expect([await ackTimeout.getAttribute('min'), await ackTimeout.getAttribute('max')]).toEqual([
        '1000',
        '600000',
      ]);
      await admin.getByLabel('Wait for indexer acknowledgement (useAck)').uncheck();
      expect(await ackTimeout.isVisible()).toBe(false);
      await admin.getByLabel('Batch: most events per request (optional)').fill('50');
      await screenshot(admin, 'destination-form-splunk');
      expect(await seriousViolations()).toEqual([]);
      await admin.getByRole('button', { name: 'Create', exact: true }).click();
      await admin.getByText('Created splunk.').waitFor();
      const created = (await api(base, 'GET', '/api/v1/destinations')).json.items.find(
        (d: { name: string }) => d.name === 'splunk',
      );
      expect(created).toMatchObject({
        kind: 'splunk_hec',
        format: 'ocsf',
        url: hec.eventUrl,
        settings: { index: 'security', host: 'connector-1', useAck: false },
        credentialNames: ['token'],
        batch: { maxEvents: 50 },
      });

      const row = admin.locator('tr[data-destination="splunk"]');
      await row.getByText('Splunk HEC').waitFor();
      expect(await row.textContent()).toContain('OCSF 1.5.0 Detection Finding');
      await admin.getByRole('button', { name: 'Test: splunk' }).click();
      await admin
        .getByText(/^Test of splunk ok in \d+ ms: Splunk HEC accepted 1 event \(HTTP 200\)$/)
        .waitFor();
      expect(hec.received).toHaveLength(1);
      expect(hec.received[0]).toMatchObject({ token: HEC_TOKEN, index: 'security', host: 'connector-1' });
      expect(hec.received[0].rawEvent).toContain('connector.test');
      await screenshot(admin, 'destinations-kinds');

      // Saving untouched sends nothing: the hidden acknowledgement timeout is kept, not removed.
      await admin.getByRole('button', { name: 'Edit splunk' }).click();
      await admin.getByRole('button', { name: 'Save changes' }).click();
      await admin.getByText('Nothing changed.').waitFor();

      // A new collector URL needs the token again: the form says so, and shows the API's refusal at the field.
      const token = admin.getByLabel('HEC token');
      expect(await token.inputValue()).toBe('');
      expect(await token.getAttribute('placeholder')).toBe('stored — leave empty to keep');
      await admin.getByLabel('Collector URL').fill(`${hec.url}/services/collector`);
      await admin.getByText('The address changed: give HEC token again').waitFor();
      await admin.getByRole('button', { name: 'Save changes' }).click();
      await admin
        .locator('[data-error-for="settings.token"]')
        .filter({ hasText: 'settings.token: required again when url changes' })
        .waitFor();
      expect(await token.getAttribute('aria-invalid')).toBe('true');
      expect((await api(base, 'GET', `/api/v1/destinations/${created.id}`)).json.url).toBe(hec.eventUrl);
      await screenshot(admin, 'destination-edit-token-again');
      expect(await seriousViolations()).toEqual([]);
      await token.fill(HEC_TOKEN);
      await admin.getByRole('button', { name: 'Save changes' }).click();
      await admin.getByText('Saved splunk.').waitFor();
      expect((await api(base, 'GET', `/api/v1/destinations/${created.id}`)).json.url).toBe(
        `${hec.url}/services/collector`,
      );

      // A destination paused because it refused its credentials says so, with what to do.
      await db.query(
        `UPDATE destinations SET paused_reason = 'refused: Splunk HEC answered HTTP 403 (code 4, Invalid token); fix the settings or resume it by hand' WHERE id = $1`,
        [created.id],
      );
      // Already on this screen: reload it to read the list again.
      await admin.reload();
      await row.getByText(/^refused: Splunk HEC answered HTTP 403/).waitFor();
      await row.getByText('fix the settings or resume.').waitFor();
      expect(await row.locator('.badge').textContent()).toBe('paused');
      await admin.getByRole('button', { name: 'Resume: splunk' }).click();
      await admin.getByText('splunk resumed.').waitFor();
      expect((await api(base, 'GET', `/api/v1/destinations/${created.id}`)).json.pausedReason).toBeNull();

      await admin.waitForLoadState('networkidle');
      expect(await admin.content()).not.toContain(HEC_TOKEN);
      const values = await admin.evaluate(
        `[...document.querySelectorAll('input, textarea, select')].map((e) => e.value).join(' ')`,
      );
      expect(values).not.toContain(HEC_TOKEN);
      const bodies = await Promise.all(answers);
      expect(bodies.length).toBeGreaterThan(5);
      expect(bodies.some((b) => b.includes('"credentialNames":["token"]'))).toBe(true);
      expect(bodies.filter((b) => b.includes(HEC_TOKEN))).toEqual([]);
    } finally {
      admin.off('response', onResponse);
      await hec.close();
    }
  });

  it('creates a destination of each other kind through the form, with the setting names the API takes', async () => {
    const cases: {
      name: string;
      kind: string;
      url: string;
      fill: [label: string, value: string][];
      select?: [label: string, value: string][];
      check?: string[];
      expected: Record<string, unknown>;
    }[] = [
      {
        name: 'elastic',
        kind: 'elasticsearch',
        url: 'http://127.0.0.1:9200',
        select: [['Authentication', 'basic']],
        fill: [
          ['Index or data stream', 'lacework-alerts'],
          ['Username', 'connector'],
          ['Password', 'elastic-password-1'],
        ],
        expected: {
          settings: { index: 'lacework-alerts', auth: 'basic', username: 'connector' },
          credentialNames: ['password'],
        },
      },
      {
        name: 'splunk-ack',
        kind: 'splunk_hec',
        url: 'http://127.0.0.1:8088',
        check: ['Wait for indexer acknowledgement (useAck)'],
        fill: [
          ['HEC token', 'hec-token-2'],
          ['Host', 'edge-7'],
          ['Acknowledgement timeout (ms)', '60000'],
        ],
        expected: {
          settings: { host: 'edge-7', useAck: true, ackTimeoutMs: 60000 },
          credentialNames: ['token'],
        },
      },
      {
        name: 'sentinel',
        kind: 'sentinel',
        url: 'http://127.0.0.1:9443',
        fill: [
          ['Tenant ID', '11111111-2222-3333-4444-555555555555'],
          ['Client (application) ID', '66666666-7777-8888-9999-000000000000'],
          ['Client secret', 'sentinel-secret-1'],
          ['Data collection rule immutable ID', `dcr-${'a'.repeat(32)}`],
          ['Stream name', 'Custom-LaceworkAlerts_CL'],
        ],
        expected: {
          settings: {
            tenantId: '11111111-2222-3333-4444-555555555555',
            streamName: 'Custom-LaceworkAlerts_CL',
            authorityHost: 'https://login.microsoftonline.com',
          },
          credentialNames: ['clientSecret'],
        },
      },
      {
        name: 'secops',
        kind: 'secops',
        url: 'http://127.0.0.1:9444/v1alpha/projects/1/locations/us/instances/i/feeds/f:importPushLogs',
        fill: [
          ['API key', 'secops-key-1'],
          ['Feed secret', 'secops-secret-1'],
        ],
        expected: { settings: {}, credentialNames: ['apiKey', 'secret'] },
      },
      {
        name: 'syslog',
        kind: 'syslog',
        url: 'tls://127.0.0.1:6514',
        select: [['Facility', 'local3']],
        fill: [
          ['App name', 'lacework'],
          ['Hostname', 'connector-1'],
          ['TLS server name (optional)', 'syslog.example.com'],
          ['Message ID (MSGID)', 'LWALERT'],
        ],
        expected: {
          settings: {
            facility: 'local3',
            appName: 'lacework',
            hostname: 'connector-1',
            serverName: 'syslog.example.com',
            msgId: 'LWALERT',
          },
          credentialNames: [],
        },
      },
    ];
    await open(admin, 'destinations', 'Destinations');
    for (const c of cases) {
      await admin.getByRole('button', { name: 'Add a destination' }).click();
      await admin.getByLabel('Kind', { exact: true }).selectOption(c.kind);
      await admin.getByLabel('Name', { exact: true }).fill(c.name);
      await admin.locator('form input[inputmode="url"]').fill(c.url);
      for (const [label, value] of c.select ?? []) {
        await admin.getByLabel(label, { exact: true }).selectOption(value);
      }
      for (const label of c.check ?? []) {
        await admin.getByLabel(label, { exact: true }).check();
      }
      if (c.kind === 'syslog') {
        // The API's limit of RFC 5424's MSGID.
        expect(await admin.getByLabel('Message ID (MSGID)').getAttribute('maxlength')).toBe('32');
      }
      for (const [label, value] of c.fill) {
        await admin.getByLabel(label, { exact: true }).fill(value);
      }
      await admin.getByRole('button', { name: 'Create', exact: true }).click();
      await admin.getByText(`Created ${c.name}.`).waitFor();
      const saved = (await api(base, 'GET', '/api/v1/destinations')).json.items.find(
        (d: { name: string }) => d.name === c.name,
      );
      expect({ name: c.name, ...saved }).toMatchObject({ name: c.name, kind: c.kind, ...c.expected });
    }
    await admin.locator('tr[data-destination="syslog"]').getByText('Syslog over TLS').waitFor();
    expect(await admin.locator('tr[data-destination="elastic"]').textContent()).toContain(
      'Elasticsearch / OpenSearch',
    );
    expect(await admin.content()).not.toMatch(
      /elastic-password-1|sentinel-secret-1|secops-key-1|secops-secret-1|hec-token-2/,
    );
  });

  it('sends an integration to several destinations chosen with checkboxes', async () => {
    await open(admin, 'integrations', 'Integrations');
    await admin.getByRole('button', { name: 'Edit acme' }).click();
    expect(await admin.getByRole('checkbox', { name: 'pipeline (Webhook)' }).isChecked()).toBe(true);
    await admin.getByRole('checkbox', { name: 'splunk (Splunk HEC)' }).check();
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.getByText('Saved.').waitFor();
    const splunkId = (await api(base, 'GET', '/api/v1/destinations')).json.items.find(
      (d: { name: string }) => d.name === 'splunk',
    ).id;
    const ids = (await api(base, 'GET', `/api/v1/integrations/${integrationId}`)).json.destinationIds;
    expect([...ids].sort()).toEqual([destinationId, splunkId].sort());
    await admin
      .locator('tr[data-integration="acme"]')
      .getByText(/^(pipeline, splunk|splunk, pipeline)$/)
      .waitFor();
  });

  it("drops a webhook's stored headers from the form, and says they are needed again when its URL changes", async () => {
    await open(admin, 'destinations', 'Destinations');
    await admin.getByRole('button', { name: 'Add a destination' }).click();
    await admin.getByLabel('Name', { exact: true }).fill('hooked');
    await admin.getByLabel('Webhook URL').fill(`${downstream.url}/hooked`);
    await admin.getByLabel(/^Static headers/).fill('X-Ingest-Token: abc123');
    await admin.getByRole('button', { name: 'Create' }).click();
    await admin.getByText('it will not be shown again').waitFor();
    await admin.getByRole('button', { name: 'Done' }).click();
    const id = (await api(base, 'GET', '/api/v1/destinations')).json.items.find(
      (d: { name: string }) => d.name === 'hooked',
    ).id;
    // Header names are kept in lower case.
    expect((await api(base, 'GET', `/api/v1/destinations/${id}`)).json.headerNames).toEqual([
      'x-ingest-token',
    ]);

    await admin.getByRole('button', { name: 'Edit hooked' }).click();
    const remove = admin.getByLabel('Remove all stored headers (x-ingest-token)');
    expect(await remove.isChecked()).toBe(false);
    await admin.getByLabel('Webhook URL').fill(`${downstream.url}/moved`);
    const moved = admin.getByText(/^The address changed: give Static headers .* again/);
    await moved.waitFor();
    expect(await moved.textContent()).toContain('Or remove all stored headers.');
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin
      .locator('[data-error-for="headers"]')
      .filter({ hasText: 'headers: required when url changes' })
      .waitFor();
    expect(await admin.getByLabel(/^Static headers/).getAttribute('aria-invalid')).toBe('true');
    expect((await api(base, 'GET', `/api/v1/destinations/${id}`)).json.url).toBe(`${downstream.url}/hooked`);
    await screenshot(admin, 'destination-edit-headers-again');

    await remove.check();
    expect(await admin.getByLabel(/^Static headers/).isDisabled()).toBe(true);
    expect(await moved.isVisible()).toBe(false);
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.getByText('Saved hooked.').waitFor();
    expect((await api(base, 'GET', `/api/v1/destinations/${id}`)).json).toMatchObject({
      url: `${downstream.url}/moved`,
      headerNames: [],
    });
    expect(await admin.locator('tr[data-destination="hooked"]').textContent()).not.toContain(
      'X-Ingest-Token',
    );
  });

  it('deletes a destination after a step that names it, and shows which integrations keep one from going', async () => {
    await open(admin, 'destinations', 'Destinations');
    await admin.getByRole('button', { name: 'Delete pipeline' }).click();
    await admin.getByRole('heading', { level: 2, name: 'Delete pipeline' }).waitFor();
    await admin.getByText(`Delete pipeline (Webhook, ${downstream.url}/ingest)?`).waitFor();
    await admin.getByRole('button', { name: 'Yes, delete pipeline' }).click();
    await admin
      .getByRole('alert')
      .filter({ hasText: /^409: .* used by integrations: acme$/ })
      .waitFor();
    expect((await api(base, 'GET', `/api/v1/destinations/${destinationId}`)).status).toBe(200);

    const secopsId = (await api(base, 'GET', '/api/v1/destinations')).json.items.find(
      (d: { name: string }) => d.name === 'secops',
    ).id;
    await admin.getByRole('button', { name: 'Delete secops' }).click();
    await admin.getByRole('heading', { level: 2, name: 'Delete secops' }).waitFor();
    await admin.getByRole('button', { name: 'Yes, delete secops' }).click();
    await admin.getByText('secops deleted.').waitFor();
    await admin.locator('tr[data-destination="secops"]').waitFor({ state: 'detached' });
    expect((await api(base, 'GET', `/api/v1/destinations/${secopsId}`)).status).toBe(404);
    await admin.locator('tr[data-destination="pipeline"]').waitFor();
  });

  it('made no request to any origin but the service', () => {
    const foreign = browser.requests.filter(
      (url) => !url.startsWith(`${base}/`) && !url.startsWith('blob:') && !url.startsWith('data:'),
    );
    expect(browser.requests.length).toBeGreaterThan(20);
    expect(foreign).toEqual([]);
  });
});
