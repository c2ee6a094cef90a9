import { Injectable } from '@nestjs/common';
import { DomainEvents } from '@app/common';
import { UnitOfWork } from '@app/database';
import { UsersRepository } from './users.repository';
import { User } from './user.rows';
import { UsersErrors } from './errors';

/** Owns the user record: lookups and the profile the user may edit. */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly events: DomainEvents,
    private readonly uow: UnitOfWork,
  ) {}

  async getById(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw UsersErrors.userNotFound();
    return user;
  }

  async updateProfile(id: string, name: string | null, ctx: { sessionId?: string; ip: string | null; userAgent: string | null }): Promise<User> {
    // the event (its audit record, its webhooks) commits with the change
    await this.uow.run(async (tx) => {
      await this.users.updateName(id, name, tx);
      await this.events.record('user.profile_updated', { actorId: id, ...ctx }, { metadata: { fields: ['name'] }, tx });
    });
    return this.getById(id);
  }
}
