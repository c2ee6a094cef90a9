import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@app/database';
import { type Actor, decodeCursor, DomainEvents, type Role } from '@app/common';
import { LockoutService } from '@app/auth';
import { MfaService } from '@app/mfa';
import { SessionsService } from '@app/sessions';
import { User, UsersErrors, UsersRepository } from '@app/users';
import { UpdateUserDto } from './dto/admin.dto';
import { AdminErrors } from './errors';

/**
 * Administration of users: role and status changes (with their effect on sessions and on the
 * access-state cache), unlock, and the admin listings. Guarded by @Roles('admin') at the edge.
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
  ) {}

  listUsers(f: { q?: string; role?: Role; isActive?: boolean; limit: number; cursor?: string }): Promise<User[]> {
    return this.users.list({ ...f, cursor: f.cursor ? decodeCursor(f.cursor) : undefined });
  }

  async getUser(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw UsersErrors.userNotFound();
    return user;
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

  async revokeUserSessions(actor: Actor, userId: string): Promise<void> {
    await this.getUser(userId);
    await this.sessions.revokeAllForUser(userId, 'admin_revoked', actor, { event: 'admin.session_revoked' });
  }

  /**
   * A user who lost their factors: every TOTP, recovery code and passkey goes, and every session
   * with them (whoever holds a session may have enrolled the factors), in one unit of work.
   */
  async resetMfa(actor: Actor, userId: string): Promise<void> {
    await this.uow.run(async (tx) => {
      const removed = await this.mfa.removeAll(userId, tx);
      const user = await this.users.findById(userId, tx);
      if (!user) throw UsersErrors.userNotFound();
      const revoked = await this.sessions.revokeAllForUser(userId, 'mfa_reset', actor, { event: 'admin.session_revoked', tx });
      await this.events.record('mfa.reset_by_admin', actor, {
        target: userId,
        metadata: { totp: removed.totp, passkeys: removed.passkeys, revoked_sessions: revoked.length },
        tx,
      });
    });
  }
}
