import { judgeAttempt, lockAfterFailure, secondsUntil } from './lockout-policy';

describe('lockout policy', () => {
  const now = new Date('2026-01-01T00:00:00.000Z');

  it('lets attempts up to the threshold be checked', () => {
    for (let attempt = 1; attempt <= 5; attempt++) expect(judgeAttempt(attempt, null, now, 5)).toEqual({ kind: 'proceed', attempt });
  });

  it('locks an attempt past the threshold even without a lock yet (parallel attempts)', () => {
    expect(judgeAttempt(6, null, now, 5)).toEqual({ kind: 'lock-now' });
  });

  it('reports an active lock with the seconds left, rounded up', () => {
    const until = new Date(now.getTime() + 1799_400);
    expect(judgeAttempt(3, until, now, 5)).toEqual({ kind: 'locked', retryAfterSeconds: 1800 });
  });

  it('ignores a lock that has ended', () => {
    expect(judgeAttempt(1, new Date(now.getTime() - 1), now, 5)).toEqual({ kind: 'proceed', attempt: 1 });
  });

  it('starts the lock with the failure that reaches the threshold', () => {
    expect(lockAfterFailure(4, 5)).toBe(false);
    expect(lockAfterFailure(5, 5)).toBe(true);
  });

  it('never answers Retry-After 0', () => {
    expect(secondsUntil(new Date(now.getTime() + 10), now)).toBe(1);
  });
});
