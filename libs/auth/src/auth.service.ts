import { Inject, Injectable } from '@nestjs/common';
import { UnitOfWork } from '@app/database';
import { APP_CONFIG, AppConfig } from '@app/config';
import { type Actor, type AuthContext, type ClientInfo, Clock, DomainEvents } from '@app/common';
import { type AuthMethod, type Session, SessionsErrors, SessionsService } from '@app/sessions';
import { EmailTakenError, User, UserDto, UsersErrors, UsersRepository } from '@app/users';
import { MFA_TOKEN_TTL_S, MfaChallenges, MfaService, withChallengeStore } from '@app/mfa';
import { ChangePasswordDto, LoginDto, MfaChallengeDto, RegisterDto, TokenPairDto } from './dto/auth.dto';
import { LockoutService } from './lockout/lockout.service';
import { PasswordHasher } from './passwords/password-hasher';
import { PasswordPolicy } from './passwords/password-policy';
import { AccessTokenService } from './tokens/access-token.service';
import { AuthErrors } from './errors';

/** A TokenPair plus the refresh token, which cookie mode moves out of the body. */
export interface IssuedTokens {
  body: TokenPairDto;
  refreshToken: string;
  refreshExpiresIn: number;
}

/** A first factor that was right for a user with a second one: the sign-in waits for it (`mfa_token`). */
export interface MfaRequired {
  challenge: MfaChallengeDto;
}

/** What a sign-in answers: a session's tokens, or the second step it still needs. */
export type SignInOutcome = IssuedTokens | MfaRequired;

export function isMfaRequired(o: SignInOutcome): o is MfaRequired {
  return 'challenge' in o;
}

/** The amr value of each way a session can start (RFC 8176; `oauth` for a provider sign-in). */
const FIRST_FACTOR_AMR: Record<AuthMethod, string> = { password: 'pwd', google: 'oauth', github: 'oauth', passkey: 'hwk' };

/**
 * Owns password sign-up and sign-in: registration, login (lockout, timing-equalised failures,
 * rehash on parameter change), refresh, logout, password change. Sessions own the token family
 * mechanics; this service decides who may have one.
 */
@Injectable()
export class AuthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly uow: UnitOfWork,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly tokens: AccessTokenService,
    private readonly lockout: LockoutService,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    private readonly mfa: MfaService,
    private readonly challenges: MfaChallenges,
  ) {}

  async register(dto: RegisterDto, client: ClientInfo): Promise<User> {
    await this.policy.assert(dto.password, { email: dto.email, name: dto.name });
    if (await this.users.findByEmail(dto.email)) throw UsersErrors.emailTaken();
    const passwordHash = await this.hasher.hash(dto.password);
    const registered = this.uow.run(async (tx) => {
      const user = await this.users.create({ email: dto.email, passwordHash, name: dto.name ?? null }, tx);
      await this.events.record('user.registered', { actorId: user.id, ...client }, { metadata: { method: 'password' }, tx });
      return user;
    });
    // a concurrent registration of the same address won the insert
    return registered.catch((err: unknown) => {
      throw err instanceof EmailTakenError ? UsersErrors.emailTaken() : err;
    });
  }

  async login(dto: LoginDto, client: ClientInfo): Promise<SignInOutcome> {
    // the account (when the email has one) is the target; whoever is guessing is not its actor
    const onLocked = (userId: string | null) =>
      this.events.record(
        'auth.account_locked',
        { actorId: null, ...client },
        { target: userId, outcome: 'failure', metadata: { email: maskEmail(dto.email) } },
      );
    const reservation = await this.lockout.reserve(dto.email, onLocked);
    const user = reservation.user;
    const verdict = user?.passwordHash ? await this.hasher.verify(user.passwordHash, dto.password) : await this.hasher.verifyDummy(dto.password);

    if (!user || !verdict) {
      await this.lockout.failed(reservation, onLocked);
      await this.events.record(
        'auth.login',
        { actorId: user?.id ?? null, ...client },
        { outcome: 'failure', metadata: { reason: 'invalid_credentials', email: maskEmail(dto.email) } },
      );
      throw AuthErrors.invalidCredentials();
    }
    // with a second factor the attempt stays counted until that step succeeds too: a known
    // password must not reset the lockout that guards the codes
    const due = await this.mfa.due(user);
    if (due.length === 0) await this.lockout.succeeded(reservation);
    if (!user.isActive) {
      await this.events.record('auth.login', { actorId: user.id, ...client }, { outcome: 'failure', metadata: { reason: 'account_disabled' } });
      throw SessionsErrors.accountDisabled();
    }
    if (this.config.auth.requireEmailVerification && !user.emailVerifiedAt) {
      await this.events.record('auth.login', { actorId: user.id, ...client }, { outcome: 'failure', metadata: { reason: 'email_not_verified' } });
      throw AuthErrors.emailNotVerified();
    }
    if (verdict === 'legacy' || this.hasher.needsRehash(user.passwordHash!)) {
      await this.users.rehash(user.id, await this.hasher.hash(dto.password));
    }
    return this.beginSignIn(user, 'password', client, { method: 'password' }, due);
  }

  /**
   * A first factor was right (password, OAuth): the session, or — when the user has a second
   * factor — an `mfa_token` for POST /auth/mfa/verify instead (`due`: the methods, when known).
   */
  async beginSignIn(user: User, method: AuthMethod, client: ClientInfo, metadata: Record<string, unknown>, due?: string[]): Promise<SignInOutcome> {
    const methods = due ?? (await this.mfa.due(user));
    if (methods.length === 0) return this.signIn(user, method, client, metadata, [FIRST_FACTOR_AMR[method]]);
    const mfaToken = await withChallengeStore(() => this.challenges.issue({ userId: user.id, method, amr: [FIRST_FACTOR_AMR[method]], metadata }));
    return { challenge: { mfa_required: true, mfa_token: mfaToken, methods, expires_in: MFA_TOKEN_TTL_S } };
  }

  /**
   * Starts a session for a user who has proven who they are (password here, OAuth elsewhere):
   * the session, last_signin_at and the audit event commit together.
   */
  async signIn(user: User, method: AuthMethod, client: ClientInfo, metadata: Record<string, unknown>, amr: string[]): Promise<IssuedTokens> {
    const now = this.clock.now();
    const started = await this.uow.run(async (tx) => {
      const s = await this.sessions.start(tx, user.id, method, client, now, amr);
      await this.events.record(
        method === 'google' || method === 'github' ? 'oauth.login' : 'auth.login',
        { actorId: user.id, sessionId: s.session.id, ...client },
        { metadata, tx },
      );
      return s;
    });
    user.lastSigninAt = now;
    return await this.issue(user, started.session, started.refreshToken);
  }

  async refresh(refreshToken: string, client: ClientInfo): Promise<IssuedTokens> {
    const rotated = await this.sessions.rotate(refreshToken, client);
    return await this.issue(rotated.user, rotated.session, rotated.refreshToken);
  }

  /** The signed-in caller's own session (`actor` as the @Actor() decorator builds it). */
  async logout(me: AuthContext, actor: Actor): Promise<void> {
    await this.sessions.revokeOwn(me.userId, me.sessionId, 'logout', actor);
  }

  async logoutWithRefreshToken(refreshToken: string, client: ClientInfo): Promise<void> {
    await this.sessions.revokeByRefreshToken(refreshToken, client);
  }

  async logoutAll(me: AuthContext, actor: Actor): Promise<void> {
    await this.sessions.revokeAllForUser(me.userId, 'logout_all', actor, { event: 'auth.logout' });
  }

  async me(me: AuthContext): Promise<User> {
    const user = await this.users.findById(me.userId);
    if (!user) throw SessionsErrors.tokenRevoked();
    return user;
  }

  /** Changes the password and revokes every other session; the calling session keeps working. */
  async changePassword(me: AuthContext, dto: ChangePasswordDto, actor: Actor): Promise<void> {
    const user = await this.me(me);
    const ok = user.passwordHash ? await this.hasher.verify(user.passwordHash, dto.current_password) : await this.hasher.verifyDummy(dto.current_password);
    if (!ok) {
      await this.events.record('password.changed', actor, { outcome: 'failure', metadata: { reason: 'invalid_current_password' } });
      throw AuthErrors.invalidCurrentPassword();
    }
    await this.policy.assert(dto.new_password, user, 'new_password');
    const hash = await this.hasher.hash(dto.new_password);
    await this.uow.run(async (tx) => {
      await this.users.setPassword(user.id, hash, this.clock.now(), tx);
      const ids = await this.sessions.revokeAllForUser(user.id, 'password_changed', actor, { exceptId: me.sessionId, tx });
      await this.events.record('password.changed', actor, { metadata: { revoked_sessions: ids.length }, tx });
    });
  }

  private async issue(user: User, session: Session, refreshToken: string): Promise<IssuedTokens> {
    const now = this.clock.now().getTime();
    const refreshExpiresIn = Math.min(this.config.auth.refreshTtl, Math.max(0, Math.ceil((session.expiresAt.getTime() - now) / 1000)));
    return {
      refreshToken,
      refreshExpiresIn,
      body: {
        access_token: await this.tokens.issue(user.id, session.id, user.role, now, session),
        refresh_token: refreshToken,
        token_type: 'bearer',
        expires_in: this.tokens.ttlSeconds,
        refresh_expires_in: refreshExpiresIn,
        session_id: session.id,
        user: UserDto.from(user),
      },
    };
  }
}

/** Keeps audit metadata useful without storing full unknown emails: a***@example.com */
export function maskEmail(email: string): string {
  const [local, domain] = email.trim().toLowerCase().split('@');
  if (!domain) return '***';
  return `${local.slice(0, 1)}***@${domain}`;
}
