import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { type DomainEvent, DomainEvents } from '@app/common';
import { MfaService } from './mfa.service';

/**
 * When the owner of a never-verified address claims its account (`user.account_claimed`: a
 * provider-verified sign-in or a completed password reset), every factor and passkey enrolled
 * before the claim goes, in the claim's transaction: whoever registered the address could have
 * enrolled their own passkey (a passwordless way back in) or TOTP (locking the owner out).
 */
@Injectable()
export class MfaClaimedAccountListener {
  constructor(
    private readonly mfa: MfaService,
    private readonly events: DomainEvents,
  ) {}

  @OnEvent('user.account_claimed', { async: false, promisify: true, suppressErrors: false })
  async onClaimed(event: DomainEvent): Promise<void> {
    if (!event.tx || !event.targetUserId) throw new Error('user.account_claimed must be emitted inside the claim transaction');
    const removed = await this.mfa.removeAll(event.targetUserId, event.tx);
    const actor = { actorId: event.actorId ?? null, ip: event.ip, userAgent: event.userAgent };
    const opts = { target: event.targetUserId, tx: event.tx };
    if (removed.totp) await this.events.record('mfa.disabled', actor, { ...opts, metadata: { method: 'totp', reason: 'account_claimed' } });
    if (removed.passkeys > 0) await this.events.record('passkey.removed', actor, { ...opts, metadata: { count: removed.passkeys, reason: 'account_claimed' } });
  }
}
