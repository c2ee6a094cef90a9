export type LockoutVerdict = { kind: 'locked'; retryAfterSeconds: number } | { kind: 'proceed'; attempt: number };

/**
 * Pure decision on a reserved attempt: already locked → locked; over the threshold → lock now;
 * otherwise check the password. (The attempt that reaches the threshold is still checked; when
 * it fails, `lockAfterFailure` says the lock starts.)
 */
export function judgeAttempt(attempts: number, lockedUntil: Date | null, now: Date, threshold: number): LockoutVerdict | { kind: 'lock-now' } {
  if (lockedUntil && lockedUntil > now) {
    return { kind: 'locked', retryAfterSeconds: secondsUntil(lockedUntil, now) };
  }
  if (attempts > threshold) return { kind: 'lock-now' };
  return { kind: 'proceed', attempt: attempts };
}

export function lockAfterFailure(attempt: number, threshold: number): boolean {
  return attempt >= threshold;
}

export function secondsUntil(until: Date, now: Date): number {
  return Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
}
