import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { type Actor, type AuthContext, type ClientInfo, Clock, DomainEvents, type FieldError, ProblemException } from '@app/common';
import { MfaChallenges, MfaErrors, MfaService, PasskeysService, withChallengeStore } from '@app/mfa';
import { type AuthMethod, SessionsErrors, SessionsService } from '@app/sessions';
import { type User, UsersRepository } from '@app/users';
import { AuthService, type IssuedTokens, maskEmail } from '../auth.service';
import { LockoutService, type Reservation } from '../lockout/lockout.service';
import { PasswordHasher } from '../passwords/password-hasher';
import { AccessTokenService } from '../tokens/access-token.service';
import { AuthErrors } from '../errors';
import { MfaVerifyDto, PasskeyLoginOptionsResultDto, PasskeyLoginVerifyDto, ReauthenticateDto, ReauthenticatedDto } from './second-step.dto';

type Proof =
  | { kind: 'totp'; code: string }
  | { kind: 'recovery_code'; code: string }
  | { kind: 'webauthn'; response: Record<string, unknown>; purpose: 'mfa' | 'login'; challengeId: string };

/**
 * The second step of a sign-in (`mfa_token` + a code, a recovery code or a passkey) and step-up
 * (POST /auth/reauthenticate). Every wrong answer counts toward the account's lockout, like a
 * wrong password: a known password cannot reset the counter that guards the codes.
 */
@Injectable()
export class SecondStepService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly mfa: MfaService,
    private readonly passkeys: PasskeysService,
    private readonly challenges: MfaChallenges,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly lockout: LockoutService,
    private readonly hasher: PasswordHasher,
    private readonly tokens: AccessTokenService,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
  ) {}

  async verify(dto: MfaVerifyDto, client: ClientInfo): Promise<IssuedTokens> {
    const proof = exactlyOne(dto);
    const pending = await withChallengeStore(() => this.challenges.attempt(dto.mfa_token));
    const user = pending ? await this.users.findById(pending.userId) : null;
    if (!pending || !user) throw MfaErrors.invalidMfaToken();
    const reservation = await this.reserve(user, client);

    const outcome = await this.check(user, proof);
    if (!outcome.ok) {
      await withChallengeStore(() => this.challenges.failed(dto.mfa_token));
      await this.failed(reservation, user, client);
      await this.events.record(
        'mfa.challenge_failed',
        { actorId: user.id, ...client },
        { outcome: 'failure', metadata: { method: proof.kind, stage: 'sign_in' } },
      );
      throw MfaErrors.invalidCode();
    }
    // the code was right: the token is spent now, once (a concurrent winner leaves nothing)
    const redeemed = await withChallengeStore(() => this.challenges.redeem(dto.mfa_token));
    if (!redeemed) throw MfaErrors.invalidMfaToken();
    await this.lockout.succeeded(reservation);
    if (proof.kind === 'recovery_code') {
      await this.events.record('mfa.recovery_code_used', { actorId: user.id, ...client }, { metadata: { remaining: outcome.remaining } });
    }
    if (!user.isActive) throw SessionsErrors.accountDisabled();
    return this.auth.signIn(user, redeemed.method as AuthMethod, client, { ...redeemed.metadata, mfa: proof.kind }, [...redeemed.amr, outcome.amr]);
  }

  async reauthenticate(me: AuthContext, dto: ReauthenticateDto, actor: Actor): Promise<ReauthenticatedDto> {
    const given = [dto.password, dto.code, dto.webauthn].filter((v) => v !== undefined).length;
    if (given !== 1) throw ProblemException.validation([{ field: 'password', message: 'give exactly one of password, code, webauthn' }]);
    const user = await this.users.findById(me.userId);
    if (!user) throw SessionsErrors.tokenRevoked();
    // a password alone is weaker than what this account signs in with: the second factor proves it again
    if (dto.password !== undefined && user.mfaEnabled) {
      throw ProblemException.validation([{ field: 'password', message: 'this account has a second factor: reauthenticate with code or webauthn' }]);
    }
    const client = { ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
    const reservation = await this.reserve(user, client);

    let amr: string | null;
    if (dto.password !== undefined) {
      const ok = user.passwordHash ? await this.hasher.verify(user.passwordHash, dto.password) : await this.hasher.verifyDummy(dto.password);
      amr = ok ? 'pwd' : null;
    } else {
      const outcome = await this.check(
        user,
        dto.code !== undefined
          ? { kind: 'totp', code: dto.code }
          : { kind: 'webauthn', response: dto.webauthn!, purpose: 'login', challengeId: dto.challenge_id ?? '' },
      );
      amr = outcome.ok ? outcome.amr : null;
    }
    const method = dto.password !== undefined ? 'password' : dto.code !== undefined ? 'totp' : 'webauthn';
    if (!amr) {
      await this.failed(reservation, user, client);
      await this.events.record('auth.reauthenticated', actor, { outcome: 'failure', metadata: { method } });
      throw dto.password !== undefined ? AuthErrors.invalidCredentials() : MfaErrors.invalidCode();
    }
    await this.lockout.succeeded(reservation);
    const session = await this.sessions.reauthenticated(me.sessionId, me.userId, [amr]);
    if (!session) throw SessionsErrors.tokenRevoked();
    await this.events.record('auth.reauthenticated', actor, { metadata: { method } });
    return { access_token: await this.tokens.issue(user.id, session.id, me.role, this.clock.now().getTime(), session), expires_in: this.tokens.ttlSeconds };
  }

  /** Request options for a passkey as the second factor of a pending sign-in (its mfa_token is the challenge's id). */
  async webauthnOptionsForMfa(mfaToken: string): Promise<object> {
    const pending = await withChallengeStore(() => this.challenges.peek(mfaToken));
    if (!pending) throw MfaErrors.invalidMfaToken();
    return this.passkeys.assertionOptions('mfa', mfaToken, pending.userId);
  }

  /** Options for a passwordless sign-in (or a passkey reauthentication): discoverable, never listing an account's credentials. */
  async passkeyLoginOptions(email: string | undefined): Promise<PasskeyLoginOptionsResultDto> {
    const user = email ? await this.users.findByEmail(email).catch(() => null) : null;
    const challengeId = this.passkeys.newChallengeId();
    return { challenge_id: challengeId, options: await this.passkeys.assertionOptions('login', challengeId, user?.id ?? null) };
  }

  /** Passwordless sign-in: a verified passkey assertion (user verification required) is a whole sign-in. */
  async passkeyLogin(dto: PasskeyLoginVerifyDto, client: ClientInfo): Promise<IssuedTokens> {
    const proof = await this.passkeys.verifyAssertion('login', dto.challenge_id, dto.response);
    const user = proof ? await this.users.findById(proof.userId) : null;
    if (!proof || !user) {
      await this.events.record(
        'auth.login',
        { actorId: user?.id ?? null, ...client },
        { outcome: 'failure', metadata: { method: 'passkey', reason: 'invalid_assertion' } },
      );
      throw MfaErrors.invalidCode();
    }
    if (!user.isActive) {
      await this.events.record(
        'auth.login',
        { actorId: user.id, ...client },
        { outcome: 'failure', metadata: { method: 'passkey', reason: 'account_disabled' } },
      );
      throw SessionsErrors.accountDisabled();
    }
    if (this.config.auth.requireEmailVerification && !user.emailVerifiedAt) throw AuthErrors.emailNotVerified();
    return this.auth.signIn(user, 'passkey', client, { method: 'passkey', passkey_id: proof.passkeyId }, [proof.amr]);
  }

  /** Whether `proof` is right for `user`, spending what is single use (a TOTP step, a recovery code). */
  private async check(user: User, proof: Proof): Promise<{ ok: true; amr: string; remaining?: number } | { ok: false }> {
    switch (proof.kind) {
      case 'totp':
        return (await this.mfa.verifyTotp(user.id, proof.code)) ? { ok: true, amr: 'otp' } : { ok: false };
      case 'recovery_code': {
        const remaining = await this.mfa.spendRecoveryCode(user.id, proof.code);
        return remaining === null ? { ok: false } : { ok: true, amr: 'otp', remaining };
      }
      case 'webauthn': {
        if (!proof.challengeId) return { ok: false };
        const passkey = await this.passkeys.verifyAssertion(proof.purpose, proof.challengeId, proof.response, user.id);
        return passkey ? { ok: true, amr: passkey.amr } : { ok: false };
      }
    }
  }

  private reserve(user: User, client: ClientInfo): Promise<Reservation> {
    return this.lockout.reserve(user.email, (userId) => this.lockedEvent(userId, user, client));
  }

  private failed(reservation: Reservation, user: User, client: ClientInfo): Promise<void> {
    return this.lockout.failed(reservation, (userId) => this.lockedEvent(userId, user, client));
  }

  private lockedEvent(userId: string | null, user: User, client: ClientInfo): Promise<void> {
    return this.events.record(
      'auth.account_locked',
      { actorId: null, ...client },
      { target: userId, outcome: 'failure', metadata: { email: maskEmail(user.email), stage: 'second_factor' } },
    );
  }
}

function exactlyOne(dto: MfaVerifyDto): Proof {
  const proofs: Proof[] = [];
  if (dto.code !== undefined) proofs.push({ kind: 'totp', code: dto.code });
  if (dto.recovery_code !== undefined) proofs.push({ kind: 'recovery_code', code: dto.recovery_code });
  if (dto.webauthn !== undefined) proofs.push({ kind: 'webauthn', response: dto.webauthn, purpose: 'mfa', challengeId: dto.mfa_token });
  if (proofs.length !== 1) {
    const errors: FieldError[] = [{ field: 'code', message: 'give exactly one of code, recovery_code, webauthn' }];
    throw ProblemException.validation(errors);
  }
  return proofs[0];
}
