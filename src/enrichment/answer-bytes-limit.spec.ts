import { AnswerBytesLimit } from './answer-bytes-limit';

describe('AnswerBytesLimit', () => {
  it('lets holders fetch while under the cap', async () => {
    const limit = new AnswerBytesLimit(100);
    await limit.admit('a');
    limit.add('a', 60);
    await limit.admit('b');
    limit.add('b', 30);
    expect(limit.heldBytes).toBe(90);
  });

  it('holds a later holder back at the cap until memory is given back', async () => {
    const limit = new AnswerBytesLimit(100);
    await limit.admit('a');
    limit.add('a', 120);
    let admitted = false;
    const waiting = limit.admit('b').then(() => (admitted = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(admitted).toBe(false);
    limit.releaseAll('a');
    await waiting;
    expect(admitted).toBe(true);
    expect(limit.heldBytes).toBe(0);
    expect(limit.peakBytes).toBe(120);
  });

  it('always lets the first holder go on, so the alerts holding memory can finish', async () => {
    const limit = new AnswerBytesLimit(100);
    await limit.admit('a');
    limit.add('a', 10);
    await limit.admit('b');
    limit.add('b', 95);
    await limit.admit('a');
    limit.add('a', 50);
    let bAdmitted = false;
    void limit.admit('b').then(() => (bAdmitted = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(bAdmitted).toBe(false);
    limit.releaseAll('a');
    await new Promise((resolve) => setImmediate(resolve));
    expect(bAdmitted).toBe(true);
  });
});
