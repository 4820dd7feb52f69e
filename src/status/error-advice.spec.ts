import { adviceFor } from './error-advice';

describe('adviceFor', () => {
  it('tells to rotate the key after an authentication error, whatever the last run did', () => {
    expect(adviceFor('401 Invalid API key', { status: 'succeeded', errorClass: null })).toMatch(/rotate it/);
    expect(adviceFor('401 Invalid API key', null)).toMatch(/rotate it/);
  });

  it('explains the error class of a failed or partial last run', () => {
    expect(adviceFor(null, { status: 'failed', errorClass: 'rate_limit' })).toMatch(/429/);
    expect(adviceFor(null, { status: 'partial', errorClass: 'upstream' })).toMatch(/5xx/);
    expect(adviceFor(null, { status: 'failed', errorClass: 'auth' })).toMatch(/rotate it/);
  });

  it('has nothing to say when the last run succeeded, is running or there is none', () => {
    expect(adviceFor(null, { status: 'succeeded', errorClass: null })).toBeNull();
    expect(adviceFor(null, { status: 'running', errorClass: null })).toBeNull();
    expect(adviceFor(null, null)).toBeNull();
  });
});
