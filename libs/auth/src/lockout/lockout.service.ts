import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { Clock, MAX_CANONICAL_LENGTH, ProblemException, tryCanonicalEmail } from '@app/common';
import type { User } from '@app/users';
import { judgeAttempt, lockAfterFailure, secondsUntil } from './lockout-policy';
import { LockoutRepository } from './lockout.repository';
import { AuthErrors } from '../errors';

export interface Reservation {
  emailKey: string;
  attempt: number;
  /** the account of the email (null: none), read with the reservation in one statement */
  user: User | null;
}

/** LOCKOUT_THRESHOLD failed logins per email within LOCKOUT_DURATION lock it for LOCKOUT_DURATION. */
@Injectable()
export class LockoutService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: LockoutRepository,
    private readonly clock: Clock,
  ) {}

  /** The canonical address (the one the account is found by), so every spelling of it shares one counter. */
  static key(email: string): string {
    return (tryCanonicalEmail(email) ?? email.trim().toLowerCase()).slice(0, MAX_CANONICAL_LENGTH);
  }

  /**
   * Counts this attempt and reads the email's account; throws 423 account_locked when the email
   * is (or just became) locked.
   */
  async reserve(email: string, onLocked: (userId: string | null) => Promise<void>): Promise<Reservation> {
    const emailKey = LockoutService.key(email);
    const now = this.clock.now();
    const r = await this.repo.reserve(emailKey, now, this.config.auth.lockoutDuration);
    const verdict = judgeAttempt(r.attempts, r.lockedUntil, now, this.config.auth.lockoutThreshold);
    if (verdict.kind === 'proceed') return { emailKey, attempt: verdict.attempt, user: r.user };
    if (verdict.kind === 'lock-now') {
      const until = new Date(now.getTime() + this.config.auth.lockoutDuration * 1000);
      if (await this.repo.lock(emailKey, until)) await onLocked(r.user?.id ?? null);
      throw this.locked(secondsUntil((await this.repo.lockedUntil(emailKey, now)) ?? until, now));
    }
    throw this.locked(verdict.retryAfterSeconds);
  }

  /** After a wrong password: the attempt that reaches the threshold starts the lock. */
  async failed(r: Reservation, onLocked: (userId: string | null) => Promise<void>): Promise<void> {
    if (!lockAfterFailure(r.attempt, this.config.auth.lockoutThreshold)) return;
    const until = new Date(this.clock.now().getTime() + this.config.auth.lockoutDuration * 1000);
    if (await this.repo.lock(r.emailKey, until)) await onLocked(r.user?.id ?? null);
  }

  async succeeded(r: Reservation): Promise<void> {
    await this.repo.clear(r.emailKey);
  }

  /** Admin unlock and password reset. */
  async clear(email: string): Promise<void> {
    await this.repo.clear(LockoutService.key(email));
  }

  private locked(retryAfter: number): ProblemException {
    return AuthErrors.accountLocked(retryAfter);
  }
}
