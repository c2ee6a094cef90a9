import { Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { Tx } from '../util/tx';

/** The event AccessStateService listens to (sessions' lib); the payload is the user id. */
export const ACCESS_USER_CHANGED = 'access.user_changed';

/**
 * How a write to a user reaches the access-state cache without the writer depending on it: the
 * repository that changes a user's role, status, password, email or profile calls `userChanged`
 * with its unit of work, and the push runs once that commits. (The durable copy is the
 * `access_changes` row the database trigger wrote in the same transaction; this is the fast path.)
 */
@Injectable()
export class AccessChangeNotifier {
  constructor(private readonly emitter: EventEmitter2) {}

  async userChanged(userId: string, tx?: Tx): Promise<void> {
    const push = () => this.emitter.emitAsync(ACCESS_USER_CHANGED, userId);
    if (tx) tx.afterCommit(push);
    else await push();
  }
}
