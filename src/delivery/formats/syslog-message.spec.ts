import {
  buildSyslogMessage,
  escapeParamValue,
  frameSyslogMessage,
  headerField,
  SyslogEvent,
  syslogFacility,
  SyslogHeader,
  syslogPriority,
  syslogSeverity,
  syslogTimestamp,
} from './syslog-message';

const HEADER: SyslogHeader = {
  facility: 16,
  hostname: 'fwd1',
  appName: 'lacework-connector',
  procId: '4711',
  msgId: 'ALERT',
};

function event(overrides: Partial<SyslogEvent> = {}): SyslogEvent {
  return {
    alertId: '967278',
    severity: 'High',
    version: 2,
    deliveryId: 'd-1',
    timeMs: Date.UTC(2022, 8, 29, 16, 0, 0, 7),
    body: '{"alertId":967278,"n":12345678901234567890123}',
    ...overrides,
  };
}

describe('syslog message (RFC 5424)', () => {
  it('writes the whole message: header, our structured data, then the body exactly', () => {
    expect(buildSyslogMessage(HEADER, event())).toBe(
      '<131>1 2022-09-29T16:00:00.007Z fwd1 lacework-connector 4711 ALERT ' +
        '[lacework@32473 alertId="967278" severity="High" version="2" deliveryId="d-1"] ' +
        '{"alertId":967278,"n":12345678901234567890123}',
    );
  });

  it.each([
    ['Critical', 2],
    ['High', 3],
    ['Medium', 4],
    ['Low', 5],
    ['Info', 6],
    ['critical', 2],
    ['1', 2],
    ['5', 6],
    ['Unheard-of', 5],
  ])('maps Lacework severity %s to syslog severity %i', (word, severity) => {
    expect(syslogSeverity(word)).toBe(severity);
  });

  it('computes PRI as facility × 8 + severity, from 0 to 191', () => {
    expect(syslogPriority(0, 0)).toBe(0);
    expect(syslogPriority(16, 6)).toBe(134);
    expect(syslogPriority(23, 7)).toBe(191);
    expect(syslogPriority(1, 2)).toBe(10);
    expect(() => syslogPriority(24, 0)).toThrow(RangeError);
    expect(() => syslogPriority(0, 8)).toThrow(RangeError);
    expect(buildSyslogMessage({ ...HEADER, facility: 23 }, event({ severity: 'Critical' }))).toMatch(
      /^<186>1 /,
    );
    expect(buildSyslogMessage({ ...HEADER, facility: 0 }, event({ severity: 'Info' }))).toMatch(/^<6>1 /);
  });

  it('reads a facility by name or number', () => {
    expect(syslogFacility('local0')).toBe(16);
    expect(syslogFacility('LOCAL7')).toBe(23);
    expect(syslogFacility('kern')).toBe(0);
    expect(syslogFacility('authpriv')).toBe(10);
    expect(syslogFacility(3)).toBe(3);
    expect(syslogFacility('19')).toBe(19);
    expect(syslogFacility(24)).toBeNull();
    expect(syslogFacility(1.5)).toBeNull();
    expect(syslogFacility('local8')).toBeNull();
    expect(syslogFacility('toString')).toBeNull();
  });

  it('escapes ", \\ and ] in PARAM-VALUEs and nothing else', () => {
    expect(escapeParamValue('a"b\\c]d[e=f')).toBe('a\\"b\\\\c\\]d[e=f');
    const message = buildSyslogMessage(HEADER, event({ alertId: 'x"]\\', deliveryId: 'é' }));
    expect(message).toContain(
      '[lacework@32473 alertId="x\\"\\]\\\\" severity="High" version="2" deliveryId="é"]',
    );
  });

  it('writes the timestamp in RFC 3339 UTC with milliseconds, or NILVALUE when it cannot', () => {
    expect(syslogTimestamp(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(syslogTimestamp(Date.UTC(2024, 1, 29, 23, 59, 59, 999))).toBe('2024-02-29T23:59:59.999Z');
    expect(syslogTimestamp(Number.NaN)).toBe('-');
    expect(syslogTimestamp(Date.UTC(10000, 0, 1))).toBe('-');
    expect(buildSyslogMessage(HEADER, event({ timeMs: Number.NaN }))).toMatch(/^<131>1 - fwd1 /);
  });

  it('keeps header fields within RFC 5424 lengths and printable US-ASCII', () => {
    expect(headerField('h'.repeat(300), 255)).toHaveLength(255);
    expect(headerField('a'.repeat(49), 48)).toHaveLength(48);
    expect(headerField('m'.repeat(33), 32)).toHaveLength(32);
    expect(headerField('p'.repeat(129), 128)).toHaveLength(128);
    expect(headerField('my host\té', 255)).toBe('my_host__');
    expect(headerField('', 32)).toBe('-');
    const long = buildSyslogMessage(
      { facility: 16, hostname: 'h'.repeat(300), appName: 'a'.repeat(60), procId: '', msgId: 'm'.repeat(40) },
      event(),
    );
    const [, , hostname, appName, procId, msgId] = long.split(' ');
    expect(hostname).toBe('h'.repeat(255));
    expect(appName).toBe('a'.repeat(48));
    expect(procId).toBe('-');
    expect(msgId).toBe('m'.repeat(32));
  });

  it('sends the body byte for byte, without a BOM', () => {
    const body = '{"t":"é ü 😀 \\" ] \\\\"}';
    const message = buildSyslogMessage(HEADER, event({ body }));
    expect(message.endsWith(`] ${body}`)).toBe(true);
    expect(Buffer.from(message, 'utf8').includes(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(false);
  });
});

describe('syslog frame (RFC 5425 octet counting)', () => {
  it('counts octets, not characters', () => {
    expect(frameSyslogMessage('abc').toString('utf8')).toBe('3 abc');
    // é is 2 bytes, € 3, 😀 4 (one code point, two UTF-16 units).
    const text = 'é€😀';
    expect(text.length).toBe(4);
    const frame = frameSyslogMessage(text);
    expect(frame.toString('utf8')).toBe(`9 ${text}`);
    expect(frame.subarray(2)).toEqual(Buffer.from(text, 'utf8'));
  });

  it('frames a whole message so that the count covers exactly the message bytes', () => {
    const message = buildSyslogMessage(HEADER, event({ body: `{"x":"${'ü'.repeat(1000)}"}` }));
    const frame = frameSyslogMessage(message);
    const space = frame.indexOf(0x20);
    const length = Number(frame.subarray(0, space).toString('ascii'));
    expect(length).toBe(frame.length - space - 1);
    expect(length).toBeGreaterThan(message.length);
    expect(frame.subarray(space + 1).toString('utf8')).toBe(message);
  });
});
