import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { type DomainEvent, DomainEvents } from '@app/common';
import { OAuthIdentitiesRepository } from './oauth-identities.repository';

/**
 * When the owner of a never-verified address claims its account (`user.account_claimed`: a
 * provider-verified sign-in, or a completed password reset), every provider account linked
 * before the claim is removed, in the claim's transaction: whoever registered the address could
 * have linked their own (an account takeover that would survive the claim otherwise).
 */
@Injectable()
export class ClaimedAccountListener {
  constructor(
    private readonly identities: OAuthIdentitiesRepository,
    private readonly events: DomainEvents,
  ) {}

  @OnEvent('user.account_claimed', { async: false, promisify: true, suppressErrors: false })
  async onClaimed(event: DomainEvent): Promise<void> {
    if (!event.tx || !event.targetUserId) throw new Error('user.account_claimed must be emitted inside the claim transaction');
    const removed = await this.identities.deleteAllForUser(event.targetUserId, event.tx);
    for (const provider of removed) {
      await this.events.record(
        'oauth.unlinked',
        { actorId: event.actorId ?? null, ip: event.ip, userAgent: event.userAgent },
        {
          target: event.targetUserId,
          metadata: { provider, reason: 'account_claimed' },
          tx: event.tx,
        },
      );
    }
  }
}
