import { Inject, Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { UnitOfWork } from '@app/database';
import { APP_CONFIG, AppConfig } from '@app/config';
import { API_PATH, type ClientInfo, Clock, type DomainEvent, DomainEvents, padTo, ProblemException, type Tx } from '@app/common';
import { Mailer } from '@app/email';
import { mailName, OneTimeTokensRepository, User, UsersRepository } from '@app/users';
import { EmailVerificationErrors } from './errors';

/** Answers to "resend" take at least this long, whether or not the email exists or needs a mail. */
const RESEND_FLOOR_MS = 120;

/**
 * Owns email verification: a token + mail in the same transaction as the registration, the
 * single-use verification itself, and resending.
 */
@Injectable()
export class EmailVerificationService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly users: UsersRepository,
    private readonly tokens: OneTimeTokensRepository,
    private readonly mailer: Mailer,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
  ) {}

  /** Inside the registration transaction: a new, unverified user gets the verification mail. */
  @OnEvent('user.registered', { async: false, promisify: true, suppressErrors: false })
  async onRegistered(event: DomainEvent): Promise<void> {
    if (!event.tx || !event.targetUserId) return;
    const user = await this.users.findById(event.targetUserId, event.tx);
    if (!user || user.emailVerifiedAt) return;
    await this.sendWithin(event.tx, user, { ip: event.ip ?? null, userAgent: event.userAgent ?? null });
  }

  async verify(token: string, client: ClientInfo): Promise<User> {
    const userId = await this.uow.run(async (tx) => {
      const id = await this.tokens.consume(tx, token, 'verify_email');
      if (!id) throw EmailVerificationErrors.invalidLink();
      await this.users.markEmailVerified(id, this.clock.now(), tx);
      await this.events.record('email.verified', { actorId: id, ...client }, { tx });
      return id;
    });
    return (await this.users.findById(userId))!;
  }

  /** The confirmation page's form post: true when verified; a bad/expired/used token is false, not an error. */
  async verifyLink(token: string, client: ClientInfo): Promise<boolean> {
    try {
      await this.verify(token, client);
      return true;
    } catch (err) {
      if (err instanceof ProblemException && err.code === 'invalid_token') return false;
      throw err;
    }
  }

  /** Always the same answer; a mail goes out only to an existing, active, unverified account. */
  async resend(email: string, client: ClientInfo): Promise<void> {
    const started = performance.now();
    const user = await this.users.findByEmail(email);
    if (user && user.isActive && !user.emailVerifiedAt) {
      await this.uow.run((tx) => this.sendWithin(tx, user, client));
    }
    await padTo(started, RESEND_FLOOR_MS);
  }

  private async sendWithin(tx: Tx, user: User, client: ClientInfo): Promise<void> {
    const ttl = this.config.email.verificationTtl;
    const token = await this.tokens.issue(tx, user.id, 'verify_email', ttl);
    const link = `${this.config.app.publicUrl}${API_PATH}/auth/verify-email?token=${encodeURIComponent(token)}`;
    await this.mailer.queue(tx, user.email, { template: 'verify_email', vars: { link, name: mailName(user), hours: Math.round(ttl / 3600) } });
    await this.events.record('email.verification_sent', { actorId: user.id, ...client }, { tx });
  }
}
