import fc from 'fast-check';
import {
  createAlertState,
  FAKE_SEVERITIES,
  machineIdFor,
  renderListRecord,
  renderObservationTimeline,
  renderScopeData,
  UNSUPPORTED_SCOPE,
  type FakeAlertSeed,
  type FakeAlertState,
  type FakeSeverity,
} from '../../../test/fakes/fake-lacework-alerts';
import { validateOcsf } from '../../../test/setup/ocsf-schema';
import { assembleDocument } from '../../enrichment/document-assembler';
import { scopesFor, type ScopeName } from '../../lacework/lacework.types';
import { laceworkConsoleUrl } from '../console-url';
import { renderOcsfFinding, type OcsfInput } from './ocsf.format';

const ORG_URL = 'https://acme.fra.lacework.net';
const DELIVERY_ID = '0b9f3c1e-5d8a-4c4e-9a51-1f2e3d4c5b6a';
const INTEGRATION_ID = '7d1c9a52-63f4-4b7e-8f0e-2a9b8c7d6e5f';
const HOUR_MS = 3_600_000;
const START = Date.UTC(2024, 4, 1, 0, 0, 0);
const UNMAPPED_PREFIX = ',"unmapped":{"lacework":';

const EXPECTED_SEVERITY: Record<FakeSeverity, [number, string]> = {
  Critical: [5, 'Critical'],
  High: [4, 'High'],
  Medium: [3, 'Medium'],
  Low: [2, 'Low'],
  Info: [1, 'Informational'],
};

/** The document of one fake alert, put together the way the enrichment does. */
function fakeDocument(alert: FakeAlertState, extraScopes: readonly string[] = []): string {
  const scopes = scopesFor(extraScopes);
  const data: Partial<Record<ScopeName, string | null>> = {};
  for (const scope of scopes) {
    const answer =
      scope === 'ObservationTimeline' ? renderObservationTimeline(alert) : renderScopeData(alert, scope);
    data[scope] = answer === 404 || answer === UNSUPPORTED_SCOPE ? null : answer;
  }
  return assembleDocument(renderListRecord(alert), scopes, data);
}

function input(document: string, overrides: Partial<OcsfInput> = {}): OcsfInput {
  return {
    document,
    deliveryId: DELIVERY_ID,
    alertId: '967278',
    version: 1,
    consoleUrl: null,
    integrationId: INTEGRATION_ID,
    ...overrides,
  };
}

/** A minimal list record with the scopes null, plus `extra` members (raw JSON text). */
function listDocument(fields: Record<string, unknown>, details: string | null = null): string {
  return assembleDocument(JSON.stringify({ alertId: 967278, ...fields }), scopesFor([]), {
    Details: details,
  });
}

/**
 * Renders, checks what holds for every rendering (valid against the schema, one line, the document embedded byte
 * for byte at the end) and gives the rendering back parsed.
 */
function renderChecked(given: OcsfInput): any {
  const text = renderOcsfFinding(given);
  expect(validateOcsf(text)).toEqual([]);
  expect(text).not.toMatch(/[\r\n]/);
  const finding = JSON.parse(text);
  if (finding.raw_data === undefined) {
    const documentText = given.document.replace(/[\r\n]/g, ' ');
    const at = text.length - 2 - documentText.length;
    expect(text.slice(at - UNMAPPED_PREFIX.length, at)).toBe(UNMAPPED_PREFIX);
    expect(text.slice(at, -2)).toBe(documentText);
    expect(text.slice(-2)).toBe('}}');
    expect(Object.keys(finding.unmapped)).toEqual(['lacework']);
  }
  expect(finding.type_uid).toBe(finding.class_uid * 100 + finding.activity_id);
  return finding;
}

describe('renderOcsfFinding on documents of the fake Lacework', () => {
  const alerts: FakeAlertState[] = [];
  for (let i = 0; i < 120; i++) {
    const seed: FakeAlertSeed = {
      alertId: String(1_000_000 + i),
      severity: FAKE_SEVERITIES[i % FAKE_SEVERITIES.length],
      status: i % 3 === 0 ? 'Closed' : 'Open',
      startTime: new Date(START + (i % 24) * HOUR_MS),
    };
    if (i % 4 === 0) {
      seed.subAccount = 'acme-dev';
    }
    alerts.push(createAlertState(seed));
  }

  it('covers every alert type, severity and status the fake generates', () => {
    expect(new Set(alerts.map((alert) => alert.alertType)).size).toBe(6);
    expect(new Set(alerts.map((alert) => alert.severity))).toEqual(new Set(FAKE_SEVERITIES));
    expect(new Set(alerts.map((alert) => alert.status))).toEqual(new Set(['Open', 'Closed']));
    expect(alerts.some((alert) => alert.policyId === undefined)).toBe(true);
    expect(alerts.some((alert) => alert.policyId !== undefined)).toBe(true);
  });

  it.each([1, 2, 5])('maps every alert at version %i to a valid finding', (version) => {
    for (const alert of alerts) {
      const document = fakeDocument(alert, alert.alertId.endsWith('7') ? ['ObservationTimeline'] : []);
      const consoleUrl = laceworkConsoleUrl(ORG_URL, alert.alertId, alert.subAccount ?? null);
      const finding = renderChecked(input(document, { alertId: alert.alertId, version, consoleUrl }));

      const closed = alert.status === 'Closed';
      const activity = closed ? 3 : version === 1 ? 1 : 2;
      expect(finding).toMatchObject({
        activity_id: activity,
        activity_name: ['Create', 'Update', 'Close'][activity - 1],
        type_uid: 200400 + activity,
        type_name: `Detection Finding: ${['Create', 'Update', 'Close'][activity - 1]}`,
        category_uid: 2,
        category_name: 'Findings',
        class_uid: 2004,
        class_name: 'Detection Finding',
        severity_id: EXPECTED_SEVERITY[alert.severity][0],
        severity: EXPECTED_SEVERITY[alert.severity][1],
        status_id: closed ? 4 : 1,
        status: closed ? 'Resolved' : 'New',
        status_code: alert.status,
        is_alert: true,
        time: alert.startMs,
        start_time: alert.startMs,
        end_time: alert.startMs + HOUR_MS,
        message: alert.profile.subject,
      });
      expect(finding.finding_info).toMatchObject({
        uid: alert.alertId,
        title: alert.alertName,
        desc: alert.profile.description,
        types: [alert.alertType],
        created_time: alert.startMs,
        src_url: consoleUrl,
        data_sources: [alert.profile.source],
      });
      if (alert.policyId === undefined) {
        expect(finding.finding_info.analytic).toBeUndefined();
      } else {
        expect(finding.finding_info.analytic).toEqual({
          type_id: 1,
          type: 'Rule',
          uid: alert.policyId,
          name: alert.alertName,
          category: alert.profile.category,
        });
      }
      expect(finding.metadata).toEqual({
        version: '1.5.0',
        product: { name: 'FortiCNAPP', vendor_name: 'Fortinet' },
        uid: DELIVERY_ID,
        correlation_uid: `lacework:${alert.alertId}`,
        event_code: alert.alertType,
        log_name: 'lacework-alerts',
        original_time: new Date(alert.startMs).toISOString(),
        tenant_uid: alert.subAccount ?? 'acme',
        tags: [
          { name: 'integration_id', value: INTEGRATION_ID },
          { name: 'alert_version', value: String(version) },
        ],
      });

      // The Events scope's records are the observations: first and last seen come from their times.
      const events = renderScopeData(alert, 'Events');
      if (events === 404) {
        expect(finding.finding_info.first_seen_time).toBeUndefined();
        expect(finding.finding_info.last_seen_time).toBeUndefined();
      } else {
        const times = (JSON.parse(events) as { EVENT_TIME: string }[]).map((e) => Date.parse(e.EVENT_TIME));
        expect(finding.finding_info.first_seen_time).toBe(Math.min(...times));
        expect(finding.finding_info.last_seen_time).toBe(Math.max(...times));
      }

      // The Details scope's Machine, User and Region entities: a host resource (its 19-digit id intact) and a user.
      const details = JSON.parse(renderScopeData(alert, 'Details') as string);
      const machine = details.entityMap.Machine[0].PROPS;
      const user = details.entityMap.User[0].PROPS;
      expect(finding.resources).toEqual([
        {
          type: 'Host',
          uid: machineIdFor(alert.alertId),
          name: machine.hostname,
          hostname: machine.hostname,
          ip: machine.internal_ip_addr,
          tags: [
            { name: 'Name', value: machine.tags.Name },
            { name: 'Environment', value: machine.tags.Environment },
          ],
        },
      ]);
      expect(finding.evidences).toEqual([{ user: { name: user.username, uid: String(user.uid) } }]);
    }
  });

  it('leaves the link out without a console URL and takes the tenant from the document when it names one', () => {
    const alert = alerts[1];
    const record = renderListRecord(alert);
    const withAccount = `${record.slice(0, -1)},"subAccount":"acme-prod"}`;
    const document = assembleDocument(withAccount, scopesFor([]), {});
    const finding = renderChecked(input(document, { alertId: alert.alertId }));
    expect(finding.finding_info.src_url).toBeUndefined();
    expect(finding.metadata.tenant_uid).toBe('acme-prod');

    const plain = renderChecked(input(fakeDocument(alert), { alertId: alert.alertId }));
    expect(plain.metadata.tenant_uid).toBeUndefined();
  });
});

describe('renderOcsfFinding: activity and status', () => {
  it.each([
    ['Open', 1, 1, 'Create', 1, 'New'],
    ['Open', 2, 2, 'Update', 1, 'New'],
    ['Open', 9, 2, 'Update', 1, 'New'],
    ['In Progress', 1, 1, 'Create', 2, 'In Progress'],
    ['InProgress', 3, 2, 'Update', 2, 'In Progress'],
    ['Closed', 1, 3, 'Close', 4, 'Resolved'],
    ['Closed', 4, 3, 'Close', 4, 'Resolved'],
    ['closed', 2, 3, 'Close', 4, 'Resolved'],
    ['Snoozed', 2, 2, 'Update', 99, 'Snoozed'],
  ])(
    'status %s at version %i: activity %i %s, status %i %s',
    (word, version, activityId, activity, statusId, status) => {
      const finding = renderChecked(input(listDocument({ status: word, severity: 'High' }), { version }));
      expect(finding.activity_id).toBe(activityId);
      expect(finding.activity_name).toBe(activity);
      expect(finding.type_uid).toBe(200400 + activityId);
      expect(finding.type_name).toBe(`Detection Finding: ${activity}`);
      expect(finding.status_id).toBe(statusId);
      expect(finding.status).toBe(status);
      expect(finding.status_code).toBe(word);
    },
  );

  it('says Unknown when the document has no status', () => {
    const finding = renderChecked(input(listDocument({ severity: 'High' })));
    expect(finding.status_id).toBe(0);
    expect(finding.status).toBe('Unknown');
    expect(finding.status_code).toBeUndefined();
    expect(finding.activity_id).toBe(1);
  });

  it('reads the status from the Details scope when the list record lacks it', () => {
    const finding = renderChecked(input(listDocument({}, '{"status":"Closed"}'), { version: 2 }));
    expect(finding.status_id).toBe(4);
    expect(finding.activity_id).toBe(3);
  });
});

describe('renderOcsfFinding: severity', () => {
  it.each([
    ['Critical', 5, 'Critical'],
    ['High', 4, 'High'],
    ['Medium', 3, 'Medium'],
    ['Low', 2, 'Low'],
    ['Info', 1, 'Informational'],
    ['HIGH', 4, 'High'],
    ['Informational', 1, 'Informational'],
    [1, 5, 'Critical'],
    [5, 1, 'Informational'],
    ['Severe', 0, 'Unknown'],
    [7, 0, 'Unknown'],
    ['', 0, 'Unknown'],
    [null, 0, 'Unknown'],
    [{ level: 'High' }, 0, 'Unknown'],
  ])('%j is severity %i %s', (severity, id, name) => {
    const finding = renderChecked(input(listDocument({ severity, status: 'Open' })));
    expect(finding.severity_id).toBe(id);
    expect(finding.severity).toBe(name);
  });

  it('is Unknown when the document has no severity at all', () => {
    const finding = renderChecked(input(listDocument({ status: 'Open' })));
    expect(finding.severity_id).toBe(0);
    expect(finding.severity).toBe('Unknown');
  });
});

describe('renderOcsfFinding: times', () => {
  const startTime = '2024-05-01T10:00:00.000Z';
  const endTime = '2024-05-01T11:00:00.000Z';
  const startMs = Date.parse(startTime);

  it.each([
    ['"0"', '0', startMs],
    ['empty', '', startMs],
    ['RFC 3339', '2024-05-02T08:30:15.250Z', Date.parse('2024-05-02T08:30:15.250Z')],
    ['epoch milliseconds', '1714638615250', 1714638615250],
    ['epoch seconds', '1714638615', 1714638615000],
    ['garbage', 'not a time', startMs],
  ])(
    'time is the last change when lastUserUpdatedTime is %s, else startTime',
    (_label, changed, expected) => {
      const finding = renderChecked(
        input(listDocument({ startTime, endTime, lastUserUpdatedTime: changed })),
      );
      expect(finding.time).toBe(expected);
      expect(finding.start_time).toBe(startMs);
      expect(finding.end_time).toBe(startMs + HOUR_MS);
      expect(finding.finding_info.created_time).toBe(startMs);
      if (expected === startMs) {
        expect(finding.finding_info.modified_time).toBeUndefined();
      } else {
        expect(finding.finding_info.modified_time).toBe(expected);
      }
    },
  );

  it('falls back to now when the document has no usable time', () => {
    const before = Date.now();
    const finding = renderChecked(input(listDocument({ startTime: 'yesterday', endTime: 17 })));
    const after = Date.now();
    expect(finding.time).toBeGreaterThanOrEqual(before);
    expect(finding.time).toBeLessThanOrEqual(after);
    expect(finding.start_time).toBeUndefined();
    expect(finding.finding_info.created_time).toBeUndefined();
    expect(finding.end_time).toBe(17_000);
  });

  it('takes first and last seen from the Events scope, skipping records without a time', () => {
    const document = assembleDocument(JSON.stringify({ alertId: 1, startTime }), scopesFor([]), {
      Events:
        '[{"EVENT_TIME":"2024-05-01T10:20:00.000Z"},{"EVENT_TIME":"bad"},{"eventTime":"2024-05-01T10:05:00.000Z"},' +
        '{"EVENT_TIME":"2024-05-01T10:45:00.000Z"},17,null]',
    });
    const finding = renderChecked(input(document));
    expect(finding.finding_info.first_seen_time).toBe(Date.parse('2024-05-01T10:05:00.000Z'));
    expect(finding.finding_info.last_seen_time).toBe(Date.parse('2024-05-01T10:45:00.000Z'));
  });
});

describe('renderOcsfFinding: text fields', () => {
  it('takes the message from the subject, the description from the description, each standing in for the other', () => {
    const both = renderChecked(
      input(listDocument({ alertName: 'N', alertInfo: { subject: 'S', description: 'D' } })),
    );
    expect(both.message).toBe('S');
    expect(both.finding_info.desc).toBe('D');
    const subjectOnly = renderChecked(input(listDocument({ alertName: 'N', alertInfo: { subject: 'S' } })));
    expect(subjectOnly.finding_info.desc).toBe('S');
    const descriptionOnly = renderChecked(input(listDocument({ alertInfo: { description: 'D' } })));
    expect(descriptionOnly.message).toBe('D');
    const nameOnly = renderChecked(input(listDocument({ alertName: 'N' })));
    expect(nameOnly.message).toBe('N');
    expect(nameOnly.finding_info.title).toBe('N');
  });

  it('uses the alert type as title when no name is given anywhere', () => {
    const finding = renderChecked(input(listDocument({ alertType: 'NewExternalServerIp' }, '{}')));
    expect(finding.finding_info.title).toBe('NewExternalServerIp');
    expect(finding.finding_info.types).toEqual(['NewExternalServerIp']);
  });

  it('reads from the Details scope the fields the list record lacks', () => {
    const finding = renderChecked(
      input(
        listDocument(
          { alertType: 'NewExternalServerIp' },
          '{"alertName":"From details","policyId":"LW_AGENT_7","alertInfo":{"subject":"Details subject"}}',
        ),
      ),
    );
    expect(finding.finding_info.title).toBe('From details');
    expect(finding.message).toBe('Details subject');
    expect(finding.finding_info.analytic).toEqual({
      type_id: 1,
      type: 'Rule',
      uid: 'LW_AGENT_7',
      name: 'From details',
    });
  });

  it('leaves out the integration tag when the integration id is empty', () => {
    const finding = renderChecked(input(listDocument({}), { integrationId: '' }));
    expect(finding.metadata.tags).toEqual([{ name: 'alert_version', value: '1' }]);
  });
});

describe('renderOcsfFinding: entities of the Details scope', () => {
  const mid = '4325415338702892297';
  const details =
    '{"alertId":967278,"entityMap":{' +
    `"Machine":[{"KEY":{"mid":${mid}},"PROPS":{"mid":${mid},"hostname":"ip-10-0-1-2.ec2.internal",` +
    '"external_ip":"203.0.113.7","internal_ip_addr":"10.0.1.2","tags":{"Name":"worker","Team":7,"x":{"y":1}}}},' +
    `{"KEY":{"mid":${mid}},"PROPS":{"mid":${mid},"hostname":"ip-10-0-1-2.ec2.internal",` +
    '"external_ip":"203.0.113.7","internal_ip_addr":"10.0.1.2","tags":{"Name":"worker","Team":7,"x":{"y":1}}}},' +
    '{"KEY":{"mid":5},"PROPS":{"internal_ip_addr":"not-an-ip"}}],' +
    '"Container":[{"KEY":{"image_repo":"nginx","image_tag":"1.25"},"PROPS":{"container_id":"c0ffee"}}],' +
    '"CT_User":[{"KEY":{"username":"deploy","account_id":"123456789012"},' +
    '"PROPS":{"arn":"arn:aws:iam::123456789012:user/deploy","principal_id":"AIDAEXAMPLE"}}],' +
    '"User":[{"KEY":{"username":"root"},"PROPS":{"username":"root","uid":0}},{"KEY":{},"PROPS":{}}],' +
    '"Process":[{"KEY":{"mid":1,"pid":4242,"process_start_time":"2024-05-01T10:01:02.000Z"},' +
    '"PROPS":{"exe_path":"/usr/bin/curl","cmdline":"curl -s http://198.51.100.9/x","username":"www-data"}},' +
    '{"KEY":{"pid":"not a pid"},"PROPS":{"cmdline":"ghost"}}],' +
    '"FileExePath":[{"KEY":{"exe_path":"/tmp/.x/miner"},"PROPS":{}}],' +
    '"IpAddress":[{"KEY":{"ip_address":"198.51.100.9"},"PROPS":{"ports":[70000,443,80]}},' +
    '{"KEY":{"ip_address":"999.1.1.1"}}],' +
    '"SourceIpAddress":[{"KEY":{"ip_address":"2001:db8::1"}}],' +
    '"DnsName":[{"KEY":{"hostname":"pool.example.org"},"PROPS":{"port":3333}}],' +
    '"NewConnection":[{"KEY":{"src_ip_addr":"10.0.1.2","src_port":51000,"dst_ip_addr":"198.51.100.9","dst_port":443}}],' +
    '"API":[{"KEY":{"service":"iam.amazonaws.com","api":"CreateUser"}}],' +
    '"Resource":[{"KEY":{"name":"bucketName","value":"logs-bucket"}},' +
    '{"KEY":{"arn":"arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"},"PROPS":{"resource_type":"AWS::EC2::Instance"}}],' +
    '"S3Bucket":[{"KEY":{"arn":"arn:aws:s3:::audit-logs"}}],' +
    '"Region":[{"KEY":{"region":"us-east-1"},"PROPS":{"accounts":["123456789012"]}}],' +
    '"Application":[{"KEY":{"application":"nginx"}}],' +
    '"Oddity":"not a list","Empty":[null,17,"x",[]]' +
    '}}';

  it('lifts hosts, containers and cloud resources into resources, the rest into evidences', () => {
    const document = listDocument({ severity: 'High', status: 'Open' }, details);
    const finding = renderChecked(input(document));
    expect(finding.resources).toEqual([
      {
        type: 'Host',
        uid: mid,
        name: 'ip-10-0-1-2.ec2.internal',
        hostname: 'ip-10-0-1-2.ec2.internal',
        ip: '10.0.1.2',
        tags: [
          { name: 'Name', value: 'worker' },
          { name: 'Team', value: '7' },
        ],
      },
      { type: 'Host', uid: '5' },
      { type: 'Container', uid: 'c0ffee', name: 'nginx:1.25' },
      { type: 'bucketName', uid: 'logs-bucket' },
      {
        type: 'AWS::EC2::Instance',
        uid: 'arn:aws:ec2:us-east-1:123456789012:instance/i-0abc',
        name: 'instance/i-0abc',
        data: { region: 'us-east-1' },
      },
      { type: 'S3Bucket', uid: 'arn:aws:s3:::audit-logs', name: 'audit-logs' },
    ]);
    expect(finding.evidences).toEqual([
      {
        user: {
          name: 'deploy',
          uid: 'arn:aws:iam::123456789012:user/deploy',
          account: { uid: '123456789012', type_id: 10, type: 'AWS Account' },
        },
      },
      { user: { name: 'root', uid: '0' } },
      {
        process: {
          pid: 4242,
          name: 'curl',
          path: '/usr/bin/curl',
          cmd_line: 'curl -s http://198.51.100.9/x',
          created_time: Date.parse('2024-05-01T10:01:02.000Z'),
          user: { name: 'www-data' },
        },
      },
      { file: { name: 'miner', path: '/tmp/.x/miner', type_id: 1, type: 'Regular File' } },
      { dst_endpoint: { ip: '198.51.100.9', port: 443 } },
      { src_endpoint: { ip: '2001:db8::1' } },
      { dst_endpoint: { hostname: 'pool.example.org', port: 3333 } },
      {
        src_endpoint: { ip: '10.0.1.2', port: 51000 },
        dst_endpoint: { ip: '198.51.100.9', port: 443 },
      },
      { api: { operation: 'CreateUser', service: { name: 'iam.amazonaws.com' } } },
    ]);
  });

  it('keeps at most 100 resources and 100 evidences', () => {
    const machines = Array.from({ length: 150 }, (_, i) => `{"KEY":{"mid":${i + 1}}}`).join(',');
    const users = Array.from({ length: 150 }, (_, i) => `{"KEY":{"username":"u${i}"}}`).join(',');
    const document = listDocument({}, `{"entityMap":{"Machine":[${machines}],"User":[${users}]}}`);
    const finding = renderChecked(input(document));
    expect(finding.resources).toHaveLength(100);
    expect(finding.resources[99]).toEqual({ type: 'Host', uid: '100' });
    expect(finding.evidences).toHaveLength(100);
  });

  it.each([
    ['no entityMap', '{}'],
    ['an entityMap that is a list', '{"entityMap":[1,2]}'],
    [
      'entities without anything usable',
      '{"entityMap":{"Machine":[{"KEY":{}}],"Process":[{"PROPS":{"cmdline":"x"}}]}}',
    ],
  ])('has neither resources nor evidences with %s', (_label, scope) => {
    const finding = renderChecked(input(listDocument({}, scope)));
    expect(finding.resources).toBeUndefined();
    expect(finding.evidences).toBeUndefined();
  });
});

describe('renderOcsfFinding: the document under unmapped', () => {
  it('embeds the document text byte for byte, big integers and odd spellings included', () => {
    const document =
      '{"alertId":967278,"severity":"Critical","status":"Open","startTime":"2024-05-01T10:00:00.000Z",' +
      '"big":123456789012345678901234567890,"float":1.0,"exp":1E+400,"neg":-0.0,"unicode":"h\\u00e9 \u2028 \ud83d\ude00",' +
      '"scopeDetails":{"entityMap":{"Machine":[{"KEY":{"mid":18446744073709551615}}]}},"scopeEvents":null}';
    const text = renderOcsfFinding(input(document));
    expect(text.endsWith(`${UNMAPPED_PREFIX}${document}}}`)).toBe(true);
    const finding = renderChecked(input(document));
    expect(finding.resources).toEqual([{ type: 'Host', uid: '18446744073709551615' }]);
  });

  it('reads long integers as their digits without touching the strings around them', () => {
    const document =
      '{"alertId":1,"note":"id \\"12345678901234567890\\" and \\\\","12345678901234567891":-12345678901234567892,' +
      '"scopeDetails":{"entityMap":{"User":[{"KEY":{"username":"a\\"b 12345678901234567893","uid":-4325415338702892297}}],' +
      '"Machine":[{"KEY":{"mid":4325415338702892297.5}},{"KEY":{"mid":4325415338702892297e3}},' +
      '{"KEY":{"mid":"4325415338702892299"}}]}}}';
    expect(JSON.parse(document)).toBeDefined();
    const finding = renderChecked(input(document));
    expect(finding.evidences).toEqual([
      { user: { name: 'a"b 12345678901234567893', uid: '-4325415338702892297' } },
    ]);
    // Only integers are kept as digits; a fraction or an exponent is read as the number it is.
    expect(finding.resources).toEqual([
      { type: 'Host', uid: String(Number('4325415338702892297.5')) },
      { type: 'Host', uid: String(Number('4325415338702892297e3')) },
      { type: 'Host', uid: '4325415338702892299' },
    ]);
  });

  it('turns the line breaks of a pretty-printed document into spaces and keeps everything else', () => {
    const document = JSON.stringify(
      { alertId: 5, severity: 'Low', status: 'Open', alertInfo: { subject: 'a\nb' } },
      null,
      2,
    ).replace(/\n/g, '\r\n');
    const text = renderOcsfFinding(input(document));
    expect(text).not.toMatch(/[\r\n]/);
    expect(text).toContain(document.replace(/[\r\n]/g, ' '));
    const finding = renderChecked(input(document));
    expect(finding.unmapped.lacework).toEqual(JSON.parse(document));
    expect(finding.message).toBe('a\nb');
  });

  it.each([
    ['not JSON', '{"alertId": 1, oops'],
    ['empty', ''],
    ['a byte order mark', '\ufeff{"alertId":1}'],
    ['truncated', '{"alertId":1,"scopeDetails":{"entityMap":'],
    ['line breaks inside', '{\n"a": "b\nc"}'],
  ])('carries a document that is %s as raw_data instead', (_label, document) => {
    const finding = renderChecked(input(document));
    expect(finding.unmapped).toBeUndefined();
    expect(finding.raw_data).toBe(document);
    expect(finding.raw_data_size).toBe(Buffer.byteLength(document, 'utf8'));
    expect(finding.severity_id).toBe(0);
    expect(finding.finding_info.uid).toBe('967278');
  });

  it.each([
    ['null', 'null'],
    ['a list', '[1,2,3]'],
    ['a number', '12345678901234567890'],
    ['a string', '"Closed"'],
    ['an empty object', '{}'],
    [
      'wrongly typed fields',
      '{"alertName":5,"severity":{},"status":[],"alertInfo":"x","startTime":true,' +
        '"policyId":{"id":1},"alertType":["a"],"derivedFields":7,"scopeDetails":"text","scopeEvents":{"EVENT_TIME":1}}',
    ],
    ['a __proto__ key', '{"__proto__":{"severity":"High","status":"Closed"},"alertName":"x"}'],
    ['duplicate keys', '{"severity":"Low","severity":"High","status":"Open"}'],
  ])('renders a valid finding for a document that is %s', (_label, document) => {
    const finding = renderChecked(input(document, { version: 2 }));
    expect(finding.finding_info.uid).toBe('967278');
    expect(finding.metadata.uid).toBe(DELIVERY_ID);
    expect(finding.unmapped).toBeDefined();
  });

  it('reads only own fields: a __proto__ key does not lend its fields', () => {
    const finding = renderChecked(input('{"__proto__":{"severity":"High","status":"Closed"}}'));
    expect(finding.severity_id).toBe(0);
    expect(finding.status_id).toBe(0);
  });

  it('takes the last of duplicate keys, as JSON.parse does', () => {
    const finding = renderChecked(input('{"severity":"Low","severity":"High"}'));
    expect(finding.severity_id).toBe(4);
  });

  it('renders any JSON value and any text without throwing, always valid', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: -3, max: 5 }), (value, version) => {
        const document = JSON.stringify(value);
        renderChecked(input(document, { version }));
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (document) => {
        renderChecked(input(document));
      }),
      { numRuns: 200 },
    );
  });

  it('renders documents whose Lacework fields hold anything without throwing, always valid', () => {
    const anything = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom('0', '', 'Closed', 'Critical', '1714638615250'),
    );
    const fields = fc.record(
      {
        alertId: anything,
        alertName: anything,
        alertType: anything,
        severity: anything,
        status: anything,
        startTime: anything,
        endTime: anything,
        lastUserUpdatedTime: anything,
        policyId: anything,
        alertInfo: fc.oneof(anything, fc.record({ subject: anything, description: anything })),
        derivedFields: fc.oneof(anything, fc.record({ category: anything, source: anything })),
        subAccount: anything,
      },
      { requiredKeys: [] },
    );
    const entity = fc.record(
      { KEY: fc.dictionary(fc.string(), anything), PROPS: fc.dictionary(fc.string(), anything) },
      { requiredKeys: [] },
    );
    const entityMap = fc.dictionary(
      fc.constantFrom(
        'Machine',
        'User',
        'CT_User',
        'Process',
        'FileExePath',
        'IpAddress',
        'DnsName',
        'API',
        'Resource',
        'X',
      ),
      fc.oneof(fc.array(fc.oneof(entity, anything), { maxLength: 4 }), anything),
    );
    fc.assert(
      fc.property(fields, fc.option(fc.record({ entityMap })), (record, details) => {
        const document = assembleDocument(JSON.stringify(record), scopesFor([]), {
          Details: details === null ? null : JSON.stringify(details),
        });
        renderChecked(input(document, { consoleUrl: 'not a url' }));
      }),
      { numRuns: 300 },
    );
  });
});
