import { Injectable } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { UnitOfWork } from '@app/database';
import { type Actor, Clock, decodeCursor, DomainEvents, type Role } from '@app/common';
import { LockoutService, PasswordHasher, PasswordPolicy } from '@app/auth';
import { MfaService, type UserFactors } from '@app/mfa';
import { SessionsService } from '@app/sessions';
import { EmailTakenError, User, UsersErrors, UsersRepository } from '@app/users';
import { UpdateUserDto } from './dto/admin.dto';
import { AdminErrors } from './errors';

/**
 * Administration of users: role and status changes (with their effect on sessions and on the
 * access-state cache), unlock, and the admin listings. Guarded by @Roles('admin') at the HTTP
 * edge; the operator CLI calls the same methods with a `cli` actor (and may create an admin).
 */
@Injectable()
export class AdminService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly lockout: LockoutService,
    private readonly events: DomainEvents,
    private readonly mfa: MfaService,
    private readonly policy: PasswordPolicy,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  listUsers(f: { q?: string; role?: Role; isActive?: boolean; emailVerified?: boolean; limit: number; cursor?: string }): Promise<User[]> {
    return this.users.list({ ...f, cursor: f.cursor ? decodeCursor(f.cursor) : undefined });
  }

  async getUser(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw UsersErrors.userNotFound();
    return user;
  }

  /** What the user has enrolled (TOTP, recovery codes left, passkeys), never a secret; 404 for an unknown user. */
  async getFactors(userId: string): Promise<UserFactors> {
    await this.getUser(userId);
    return this.mfa.factorsOf(userId);
  }

  /** By id, or by email address (its canonical form, as everywhere); 404 when there is none. */
  async findUser(idOrEmail: string): Promise<User> {
    const user = isUUID(idOrEmail) ? await this.users.findById(idOrEmail) : await this.users.findByEmail(idOrEmail);
    if (!user) throw UsersErrors.userNotFound();
    return user;
  }

  /**
   * A new admin with a password (the operator CLI): the password policy of registration, the
   * address taken as verified (whoever runs the command vouches for it, as for the bootstrap
   * admin), `user.registered` recorded with the caller as actor. 409 email_taken when the address
   * has an account: promoting one is a role change.
   */
  async createAdmin(actor: Actor, input: { email: string; password: string; name?: string | null }): Promise<User> {
    await this.policy.assert(input.password, { email: input.email, name: input.name ?? undefined });
    if (await this.users.findByEmail(input.email)) throw UsersErrors.emailTaken();
    const passwordHash = await this.hasher.hash(input.password);
    const created = this.uow.run(async (tx) => {
      const user = await this.users.create(
        { email: input.email, passwordHash, name: input.name ?? null, role: 'admin', emailVerifiedAt: this.clock.now() },
        tx,
      );
      await this.events.record('user.registered', actor, { target: user.id, metadata: { method: 'password', role: 'admin' }, tx });
      return user;
    });
    // a concurrent creation of the same address won the insert
    return created.catch((err: unknown) => {
      throw err instanceof EmailTakenError ? UsersErrors.emailTaken() : err;
    });
  }

  async updateUser(actor: Actor, id: string, dto: UpdateUserDto): Promise<User> {
    if (dto.role === undefined && dto.is_active === undefined && dto.unlock === undefined) {
      throw AdminErrors.emptyChange();
    }
    await this.uow.run(async (tx) => {
      const { user, activeAdminIds } = await this.users.lockForAdminChange(id, tx);
      if (!user) throw UsersErrors.userNotFound();
      const demoting = dto.role !== undefined && dto.role !== 'admin' && user.role === 'admin';
      const disabling = dto.is_active === false && user.isActive;
      if (user.id === actor.actorId && (demoting || disabling)) {
        throw AdminErrors.selfModification();
      }
      if ((demoting || disabling) && user.isActive && activeAdminIds.length <= 1 && activeAdminIds.includes(user.id)) {
        throw AdminErrors.lastAdmin();
      }
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      if (dto.role !== undefined && dto.role !== user.role) changes.role = { from: user.role, to: dto.role };
      if (dto.is_active !== undefined && dto.is_active !== user.isActive) changes.is_active = { from: user.isActive, to: dto.is_active };
      await this.users.updateRoleAndStatus(id, { role: dto.role, isActive: dto.is_active }, tx);
      const revoked = disabling ? await this.sessions.revokeAllForUser(id, 'user_disabled', actor, { event: 'admin.session_revoked', tx }) : [];
      await this.events.record('admin.user_updated', actor, {
        target: id,
        metadata: { changes, unlock: dto.unlock === true, revoked_sessions: revoked.length },
        tx,
      });
    });
    const updated = await this.getUser(id);
    if (dto.unlock) await this.lockout.clear(updated.email);
    return updated;
  }

  /** Revokes every live session of the user; resolves how many there were. */
  async revokeUserSessions(actor: Actor, userId: string): Promise<number> {
    await this.getUser(userId);
    const revoked = await this.sessions.revokeAllForUser(userId, 'admin_revoked', actor, { event: 'admin.session_revoked' });
    return revoked.length;
  }

  /**
   * A user who lost their factors: every TOTP, recovery code and passkey goes, and every session
   * with them (whoever holds a session may have enrolled the factors), in one unit of work.
   */
  async resetMfa(actor: Actor, userId: string): Promise<{ totp: boolean; passkeys: number; revokedSessions: number }> {
    return this.uow.run(async (tx) => {
      const removed = await this.mfa.removeAll(userId, tx);
      const user = await this.users.findById(userId, tx);
      if (!user) throw UsersErrors.userNotFound();
      const revoked = await this.sessions.revokeAllForUser(userId, 'mfa_reset', actor, { event: 'admin.session_revoked', tx });
      await this.events.record('mfa.reset_by_admin', actor, {
        target: userId,
        metadata: { totp: removed.totp, passkeys: removed.passkeys, revoked_sessions: revoked.length },
        tx,
      });
      return { ...removed, revokedSessions: revoked.length };
    });
  }
}
