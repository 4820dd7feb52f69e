import { bodyProblem, MAX_BODY_DEPTH } from './json-body.middleware';

describe('bodyProblem', () => {
  it('accepts ordinary bodies, paired surrogates (emoji) included', () => {
    expect(bodyProblem({ name: 'Acme 😀', headers: { a: 'b' }, list: [1, 'x', null] })).toBeNull();
    expect(bodyProblem(undefined)).toBeNull();
  });

  it('refuses nesting beyond the limit, however deep, without recursion', () => {
    const deep = JSON.parse('['.repeat(50_000) + ']'.repeat(50_000)) as unknown;
    expect(bodyProblem(deep)).toBe(`body: nested deeper than ${MAX_BODY_DEPTH} levels`);
    let atLimit: unknown = 1;
    for (let i = 0; i < MAX_BODY_DEPTH; i++) {
      atLimit = { a: atLimit };
    }
    expect(bodyProblem(atLimit)).toBeNull();
    expect(bodyProblem({ a: atLimit })).toMatch(/nested deeper/);
  });

  it('names the field holding a lone surrogate', () => {
    expect(bodyProblem({ name: 'x', secret: '\ud800' })).toBe(
      'secret: not valid Unicode (contains a lone surrogate)',
    );
    expect(bodyProblem({ headers: { 'x-token': 'a\udc00' } })).toMatch(
      /^headers\.x-token: not valid Unicode/,
    );
    expect(bodyProblem({ list: ['ok', '\ud83d'] })).toMatch(/^list\[1\]: /);
    expect(bodyProblem({ headers: { '\ud800': 'v' } })).toMatch(/^headers: a key is not valid Unicode/);
  });
});
