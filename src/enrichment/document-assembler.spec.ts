import { parse } from 'lossless-json';
import { assembleDocument, SCOPE_KEYS } from './document-assembler';

describe('assembleDocument', () => {
  const record = '{"alertId":967278,"severity":"High","derivedFields":{"sub_category":"Cloud Activity"}}';

  it('keeps the list fields first, then the six scopes in order, null for 404 and [] for empty', () => {
    const doc = assembleDocument(record, {
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
      ...Object.values(SCOPE_KEYS),
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
    expect(assembleDocument('{}', empty)).toMatch(/^\{"scopeDetails":\{\},/);
    expect(() => assembleDocument('[1]', empty)).toThrow(/not a JSON object/);
  });
});
