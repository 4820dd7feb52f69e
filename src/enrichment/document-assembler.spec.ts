import { parse } from 'lossless-json';
import { scopesFor, SCOPE_NAMES } from '../lacework/lacework.types';
import { assembleDocument, SCOPE_KEYS } from './document-assembler';

describe('assembleDocument', () => {
  const record = '{"alertId":967278,"severity":"High","derivedFields":{"sub_category":"Cloud Activity"}}';

  it('keeps the list fields first, then the six scopes in order, null for 404 and [] for empty', () => {
    const doc = assembleDocument(record, SCOPE_NAMES, {
      Details: '{"entityMap":{"Machine":[{"KEY":{"mid":4325415338702892297}}]}}',
      Investigation: '[{"question":"q","answer":"a"}]',
      Events: null,
      RelatedAlerts: '[]',
      Integrations: null,
      Timeline: null,
    });
    expect(doc).toBe(
      '{"alertId":967278,"severity":"High","derivedFields":{"sub_category":"Cloud Activity"},' +
        '"scopeDetails":{"entityMap":{"Machine":[{"KEY":{"mid":4325415338702892297}}]}},' +
        '"scopeInvestigation":[{"question":"q","answer":"a"}],"scopeEvents":null,"scopeRelatedAlerts":[],' +
        '"scopeIntegrations":null,"scopeTimeline":null}',
    );
    const parsed = parse(doc) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual([
      'alertId',
      'severity',
      'derivedFields',
      ...SCOPE_NAMES.map((scope) => SCOPE_KEYS[scope]),
    ]);
    expect(doc).toContain('4325415338702892297');
  });

  it('handles an empty record and refuses a non-object', () => {
    const empty = {
      Details: '{}',
      Investigation: null,
      Events: null,
      RelatedAlerts: null,
      Integrations: null,
      Timeline: null,
    };
    expect(assembleDocument('{}', SCOPE_NAMES, empty)).toMatch(/^\{"scopeDetails":\{\},/);
    expect(() => assembleDocument('[1]', SCOPE_NAMES, empty)).toThrow(/not a JSON object/);
  });

  it('adds an opted-in extra scope after the six, null when Lacework has none', () => {
    const scopes = scopesFor(['ObservationTimeline']);
    expect(scopes).toEqual([...SCOPE_NAMES, 'ObservationTimeline']);
    const withData = assembleDocument('{"alertId":1}', scopes, {
      Details: '{}',
      ObservationTimeline: '[{"observationTime":"2026-11-30T10:00:00.000Z"}]',
    });
    expect(withData).toMatch(/"scopeTimeline":null,"scopeObservationTimeline":\[\{"observationTime":/);
    expect(assembleDocument('{"alertId":1}', scopes, { Details: '{}' })).toMatch(
      /"scopeTimeline":null,"scopeObservationTimeline":null\}$/,
    );
    expect(assembleDocument('{"alertId":1}', SCOPE_NAMES, { Details: '{}' })).not.toContain(
      'ObservationTimeline',
    );
  });
});
