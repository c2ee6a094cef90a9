import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows, UnitOfWork } from '@app/database';
import { type Actor, DomainEvents, type Tx } from '@app/common';
import { type User, UsersRepository } from '@app/users';
import { type Passkey, PasskeysRepository } from './passkeys/passkeys.repository';
import { RecoveryCodes } from './recovery/recovery-codes';
import { TotpService, type TotpEnrolment } from './totp/totp.service';
import { MfaErrors } from './errors';

export type MfaMethod = 'totp' | 'recovery_code' | 'webauthn';

/** What a user has enrolled, without any secret: for an admin looking at the account. */
export interface UserFactors {
  totpEnabled: boolean;
  recoveryCodesRemaining: number;
  /** newest first */
  passkeys: Passkey[];
}

/**
 * The user's second factors as one thing: which methods a sign-in may finish with, enrolment and
 * removal of TOTP and recovery codes, and `users.mfa_enabled`, recomputed under the user's row
 * lock in the unit of work of every factor change (so it always describes what committed).
 */
@Injectable()
export class MfaService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly uow: UnitOfWork,
    private readonly users: UsersRepository,
    private readonly totp: TotpService,
    private readonly recovery: RecoveryCodes,
    private readonly passkeys: PasskeysRepository,
    private readonly events: DomainEvents,
  ) {}

  /** The methods that can finish a sign-in of this user; empty when no second step is due. */
  async methodsFor(userId: string, tx?: Tx): Promise<MfaMethod[]> {
    const rows = await queryRows(
      tx ?? this.ds,
      `SELECT EXISTS (SELECT 1 FROM mfa_totp WHERE user_id = $1 AND secret_sealed IS NOT NULL) AS totp,
              EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1) AS webauthn,
              EXISTS (SELECT 1 FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL) AS recovery`,
      [userId],
    );
    const r = rows[0] ?? {};
    if (!isTrue(r.totp) && !isTrue(r.webauthn)) return [];
    const methods: MfaMethod[] = [];
    if (isTrue(r.totp)) methods.push('totp');
    if (isTrue(r.recovery)) methods.push('recovery_code');
    if (isTrue(r.webauthn)) methods.push('webauthn');
    return methods;
  }

  /** The user's enrolled factors (a pending TOTP setup is not one); an unknown user has none. */
  async factorsOf(userId: string): Promise<UserFactors> {
    return {
      totpEnabled: await this.totp.isActive(userId),
      recoveryCodesRemaining: await this.recovery.remaining(userId),
      passkeys: await this.passkeys.listForUser(userId),
    };
  }

  setupTotp(user: { id: string; email: string }): Promise<TotpEnrolment> {
    return this.totp.setup(user.id, user.email);
  }

  /** Activates the pending TOTP with a code from the app: a new set of recovery codes. */
  async confirmTotp(userId: string, code: string, actor: Actor): Promise<string[]> {
    const outcome = await this.uow.run(async (tx) => {
      await this.users.lockForFactorChange(userId, tx);
      const confirmed = await this.totp.confirm(userId, code, tx);
      if (confirmed !== 'confirmed') return confirmed;
      const codes = await this.recovery.replace(userId, tx);
      await this.refresh(userId, tx);
      await this.events.record('mfa.enabled', actor, { metadata: { method: 'totp' }, tx });
      return codes;
    });
    if (outcome === 'no_pending') throw MfaErrors.noPendingTotp();
    if (outcome === 'wrong_code') throw MfaErrors.invalidCode();
    return outcome;
  }

  async disableTotp(userId: string, actor: Actor): Promise<void> {
    await this.uow.run(async (tx) => {
      await this.users.lockForFactorChange(userId, tx);
      if (!(await this.totp.remove(userId, tx))) throw MfaErrors.totpNotEnabled();
      const left = await this.refresh(userId, tx);
      await this.events.record('mfa.disabled', actor, { metadata: { method: 'totp', factors_left: left }, tx });
    });
  }

  async regenerateRecoveryCodes(userId: string, actor: Actor): Promise<string[]> {
    return this.uow.run(async (tx) => {
      await this.users.lockForFactorChange(userId, tx);
      if ((await this.methodsFor(userId, tx)).length === 0) throw MfaErrors.noFactor();
      const codes = await this.recovery.replace(userId, tx);
      await this.events.record('mfa.enabled', actor, { metadata: { method: 'recovery_codes', regenerated: true }, tx });
      return codes;
    });
  }

  /** Every factor and passkey of the user, inside the caller's unit of work (admin reset). */
  async removeAll(userId: string, tx: Tx): Promise<{ totp: boolean; passkeys: number }> {
    await this.users.lockForFactorChange(userId, tx);
    const totp = await this.totp.remove(userId, tx);
    const passkeys = await this.passkeys.removeAll(userId, tx);
    await this.refresh(userId, tx);
    return { totp, passkeys };
  }

  verifyTotp(userId: string, code: string): Promise<boolean> {
    return this.totp.verify(userId, code);
  }

  /** Spends a recovery code: the number left, or null when it is not an unused code of the user. */
  spendRecoveryCode(userId: string, code: string): Promise<number | null> {
    return this.recovery.spend(userId, code);
  }

  /**
   * After a factor changed (under the user's row lock): `users.mfa_enabled` follows what is left,
   * and recovery codes die with the last factor. Returns how many factor kinds are left.
   */
  async refresh(userId: string, tx: Tx): Promise<number> {
    const methods = await this.methodsFor(userId, tx);
    const factors = methods.filter((m) => m !== 'recovery_code').length;
    if (factors === 0) await this.recovery.removeAll(userId, tx);
    await this.users.setMfaEnabled(userId, factors > 0, tx);
    return factors;
  }

  /** Whether a first factor of this user calls for a second step (cheap for users without one). */
  async due(user: User): Promise<MfaMethod[]> {
    return user.mfaEnabled ? this.methodsFor(user.id) : [];
  }
}

function isTrue(v: unknown): boolean {
  return v === true || v === 't' || v === 'true';
}
