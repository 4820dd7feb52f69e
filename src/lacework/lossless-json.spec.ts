import { parseLossless, stringifyLossless } from './lossless-json';

describe('lossless JSON helpers', () => {
  it('keeps a 19-digit integer exact through parse and stringify', () => {
    const text = '{"mid":4325415338702892297,"small":42}';
    expect(JSON.stringify(JSON.parse(text))).not.toContain('4325415338702892297');

    expect(stringifyLossless(parseLossless(text))).toBe(text);
  });

  it('keeps key order, casing, decimals and JSON held inside strings', () => {
    const text =
      '{"zeta":1,"INTG_GUID":"A","intgGuid":"b","alpha":[1.50,-0,1e400],"raw":"{\\"x\\":18446744073709551615}"}';

    expect(stringifyLossless(parseLossless(text))).toBe(text);
  });

  it('normalises whitespace only', () => {
    expect(stringifyLossless(parseLossless('{ "a" : [ 1 , 2 ] ,\n "b" : null }'))).toBe(
      '{"a":[1,2],"b":null}',
    );
  });

  it('keeps an empty array as an empty array', () => {
    expect(stringifyLossless(parseLossless('[]'))).toBe('[]');
  });

  it('resolves duplicate keys like JSON.parse instead of failing', () => {
    expect(stringifyLossless(parseLossless('{"a":1,"a":2}'))).toBe('{"a":2}');
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseLossless('{"a":')).toThrow();
  });
});
