import { Inject, Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { UnitOfWork } from '@app/database';
import { APP_CONFIG, AppConfig } from '@app/config';
import { type Actor, type ClientInfo, Clock, type DomainEvent, DomainEvents, padTo } from '@app/common';
import { LockoutService, PasswordHasher, PasswordPolicy } from '@app/auth';
import { Mailer } from '@app/email';
import { SessionsErrors, SessionsService } from '@app/sessions';
import { mailName, OneTimeTokensRepository, UsersErrors, UsersRepository } from '@app/users';
import { PasswordResetErrors } from './errors';

/** A reset request answers no sooner than this, whether or not the email exists. */
const REQUEST_FLOOR_MS = 150;

/**
 * Owns password reset (request → mailed single-use token → complete) and the "your password
 * changed" notice that follows any password change.
 */
@Injectable()
export class PasswordResetService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly users: UsersRepository,
    private readonly tokens: OneTimeTokensRepository,
    private readonly mailer: Mailer,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly sessions: SessionsService,
    private readonly lockout: LockoutService,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
  ) {}

  async request(email: string, client: ClientInfo): Promise<void> {
    const started = performance.now();
    const user = await this.users.findByEmail(email);
    if (user && user.isActive) {
      const ttl = this.config.email.passwordResetTtl;
      await this.uow.run(async (tx) => {
        const token = await this.tokens.issue(tx, user.id, 'reset_password', ttl);
        const link = this.linkFor(token);
        await this.mailer.queue(tx, user.email, { template: 'reset_password', vars: { link, name: mailName(user), minutes: Math.round(ttl / 60) } });
        await this.events.record('password.reset_requested', { actorId: null, ...client }, { target: user.id, tx });
      });
    }
    await padTo(started, REQUEST_FLOOR_MS);
  }

  /**
   * A reset link for an operator to hand over (the CLI): the token and link of the reset mail,
   * issued the same way (an older link of the user dies), recorded as `password.reset_requested`
   * by `actor`, and returned instead of mailed. A disabled account gets none (403
   * account_disabled), as a mailed request would not.
   */
  async issueLink(actor: Actor, userId: string): Promise<{ link: string; expiresAt: Date }> {
    const user = await this.users.findById(userId);
    if (!user) throw UsersErrors.userNotFound();
    if (!user.isActive) throw SessionsErrors.accountDisabled();
    const ttl = this.config.email.passwordResetTtl;
    return this.uow.run(async (tx) => {
      const token = await this.tokens.issue(tx, user.id, 'reset_password', ttl);
      await this.events.record('password.reset_requested', actor, { target: user.id, metadata: { delivery: 'handed_over' }, tx });
      return { link: this.linkFor(token), expiresAt: new Date(this.clock.now().getTime() + ttl * 1000) };
    });
  }

  /** The web app's reset page with the token: what the reset mail links to. */
  private linkFor(token: string): string {
    return `${this.config.app.frontendUrl}/reset-password?token=${encodeURIComponent(token)}`;
  }

  /**
   * Sets the new password, consumes the token, revokes every session of the user and marks the
   * email verified (the mail proved it), all in one transaction; then clears the lockout. When
   * the address had never been verified, this is the owner claiming the account from whoever
   * registered it: `user.account_claimed` (whose listeners remove the identities linked before).
   */
  async complete(token: string, password: string, client: ClientInfo): Promise<void> {
    // the policy needs the owner (email and name are the estimator's user inputs); the token is
    // only spent below, in the transaction, so a refused password leaves the link usable
    const owner = await this.owner(token);
    await this.policy.assert(password, owner);
    const hash = await this.hasher.hash(password);
    const now = this.clock.now();
    const outcome = await this.uow.run(async (tx) => {
      const userId = await this.tokens.consume(tx, token, 'reset_password');
      if (!userId) throw PasswordResetErrors.invalidLink();
      const claimed = await this.users.claimUnverified(userId, now, tx);
      await this.users.setPassword(userId, hash, now, tx);
      const actor = { actorId: userId, ...client };
      if (claimed) {
        await this.events.record('user.account_claimed', actor, { metadata: { via: 'password_reset' }, tx });
      }
      const revoked = await this.sessions.revokeAllForUser(userId, 'password_reset', actor, { tx });
      await this.events.record('password.reset_completed', actor, { metadata: { revoked_sessions: revoked.length }, tx });
      return userId;
    });
    const user = await this.users.findById(outcome);
    if (user) await this.lockout.clear(user.email);
  }

  private async owner(token: string) {
    const userId = await this.tokens.peek(token, 'reset_password');
    const user = userId ? await this.users.findById(userId) : null;
    if (!user) throw PasswordResetErrors.invalidLink();
    return user;
  }

  /** Inside the transaction of a password change or reset: queue the notice mail. */
  @OnEvent('password.changed', { async: false, promisify: true, suppressErrors: false })
  @OnEvent('password.reset_completed', { async: false, promisify: true, suppressErrors: false })
  async notify(event: DomainEvent): Promise<void> {
    if (event.outcome !== 'success' || !event.tx || !event.targetUserId) return;
    const user = await this.users.findById(event.targetUserId, event.tx);
    if (!user) return;
    const when = `${this.clock.now().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    await this.mailer.queue(event.tx, user.email, {
      template: 'password_changed',
      vars: { name: mailName(user), when, via: event.name === 'password.reset_completed' ? 'reset' : 'change' },
    });
  }
}
