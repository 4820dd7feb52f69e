import { errorLogFields, queryName } from './error-log';

describe('queryName', () => {
  it.each([
    ['INSERT INTO destinations (id, name) VALUES ($1, $2)', 'INSERT destinations'],
    ['  update integrations\n   SET name = $2 WHERE id = $1', 'UPDATE integrations'],
    ['SELECT a.id FROM "alerts" a JOIN alert_versions v ON v.alert_id = a.id', 'SELECT alerts'],
    ['/* leading comment FROM secrets */ DELETE FROM deliveries WHERE id = $1', 'DELETE deliveries'],
    ['WITH due AS (SELECT id FROM deliveries) UPDATE deliveries SET x = 1', 'WITH deliveries'],
    ['SELECT 1', 'SELECT'],
  ])('names %p as %p', (sql, name) => {
    expect(queryName(sql)).toBe(name);
  });
});

describe('errorLogFields', () => {
  it('keeps class, SQL state and query name of a database error, not its message, detail or parameters', () => {
    const error = Object.assign(new Error('invalid input syntax for type uuid: "secret-value"'), {
      query: 'SELECT * FROM integrations WHERE id = $1',
      parameters: ['secret-value'],
      driverError: { code: '22P02', detail: 'secret-value' },
    });
    const fields = errorLogFields(error);
    expect(fields).toMatchObject({ errorClass: 'Error', sqlState: '22P02', query: 'SELECT integrations' });
    expect(JSON.stringify(fields)).not.toContain('secret-value');
  });

  it('keeps the message and stack of other errors', () => {
    const fields = errorLogFields(new TypeError('x is undefined'));
    expect(fields).toMatchObject({ errorClass: 'TypeError', message: 'x is undefined' });
    expect(fields.stack).toEqual(expect.stringContaining('error-log.spec'));
  });
});
