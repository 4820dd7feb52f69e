import { hintOf } from './lacework-hint.service';

describe('hintOf', () => {
  it("reads event_id and the numeric severity of Lacework's webhook body, as strings", () => {
    expect(hintOf({ event_id: '120884', event_severity: '1', event_title: 'x' })).toEqual({
      alertId: '120884',
      severity: 'Critical',
      test: false,
    });
    expect(hintOf({ event_id: 967278, event_severity: 4 })).toEqual({
      alertId: '967278',
      severity: 'Low',
      test: false,
    });
  });

  it("takes Lacework's Test message as a test", () => {
    expect(hintOf({ event_id: '0', event_severity: '0', event_type: 'TestEvent' })).toEqual({
      alertId: null,
      severity: '0',
      test: true,
    });
  });

  it('keeps a hint without a usable id as a plain hint (the poll is still due)', () => {
    expect(hintOf({ event_id: '12ab' })).toEqual({ alertId: null, severity: null, test: false });
    expect(hintOf(null)).toEqual({ alertId: null, severity: null, test: false });
    expect(hintOf(['x'])).toEqual({ alertId: null, severity: null, test: false });
  });
});
