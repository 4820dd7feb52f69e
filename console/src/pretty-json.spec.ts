import { prettyJson } from './pretty-json';

describe('prettyJson', () => {
  it('indents without parsing: integers beyond 2^53 keep every digit', () => {
    const text = '{"id":12345678901234567890,"list":[1,2.50,{"a":null}],"empty":{},"none":[]}';
    expect(prettyJson(text)).toBe(
      [
        '{',
        '  "id": 12345678901234567890,',
        '  "list": [',
        '    1,',
        '    2.50,',
        '    {',
        '      "a": null',
        '    }',
        '  ],',
        '  "empty": {},',
        '  "none": []',
        '}',
      ].join('\n'),
    );
  });

  it('leaves strings exactly as stored, brackets, commas, quotes and markup included', () => {
    const text = '{"name":"<img src=x onerror=\\"a()\\">, [x]: {y}","path":"C:\\\\dir\\\\"}';
    const pretty = prettyJson(text);
    expect(pretty).toContain('"<img src=x onerror=\\"a()\\">, [x]: {y}"');
    expect(pretty).toContain('"C:\\\\dir\\\\"');
    expect(pretty.replace(/\n\s*/g, '').replace(/": /g, '":')).toBe(text);
  });
});
