import { passesFilter } from './alert-filter';

describe('passesFilter', () => {
  const none = { minSeverity: null, includeAlertTypes: null, excludeAlertTypes: null };
  it.each([
    [{ severity: 'Low', alertType: 'A' }, none, true],
    [{ severity: 'Low', alertType: 'A' }, { ...none, minSeverity: 'Medium' }, false],
    [{ severity: 'High', alertType: 'A' }, { ...none, minSeverity: 'Medium' }, true],
    [{ severity: 'Medium', alertType: 'A' }, { ...none, minSeverity: 'Medium' }, true],
    [{ severity: 'Strange', alertType: 'A' }, { ...none, minSeverity: 'Info' }, false],
    [{ severity: 'High', alertType: 'A' }, { ...none, includeAlertTypes: ['B'] }, false],
    [{ severity: 'High', alertType: 'B' }, { ...none, includeAlertTypes: ['B'] }, true],
    [{ severity: 'High', alertType: 'B' }, { ...none, includeAlertTypes: [] }, true],
    [{ severity: 'High', alertType: 'B' }, { ...none, excludeAlertTypes: ['B'] }, false],
    [
      { severity: 'High', alertType: 'B' },
      { ...none, includeAlertTypes: ['B'], excludeAlertTypes: ['B'] },
      false,
    ],
  ])('%j under %j -> %s', (alert, filter, expected) => {
    expect(passesFilter(alert, filter)).toBe(expected);
  });
});
