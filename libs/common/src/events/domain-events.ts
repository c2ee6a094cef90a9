import { Injectable } from '@nestjs/common';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import type { Actor } from '../decorators/client-info.decorator';
import type { Tx } from '../util/tx';

/** The audit event names of API.md (the minimum set) plus the failures worth keeping. */
export const AUDIT_EVENTS = [
  'user.registered',
  'auth.login',
  'auth.account_locked',
  'auth.logout',
  'auth.refresh_reused',
  'session.revoked',
  'email.verification_sent',
  'email.verified',
  'password.reset_requested',
  'password.reset_completed',
  'password.changed',
  'oauth.login',
  'oauth.linked',
  'oauth.unlinked',
  'admin.user_updated',
  'admin.session_revoked',
  'user.profile_updated',
  /** the first proof of the mailbox of an account nobody had proven (provider sign-in, password reset) */
  'user.account_claimed',
  // v1.2: second factors, passkeys, step-up
  'mfa.enabled',
  'mfa.disabled',
  'mfa.challenge_failed',
  'mfa.recovery_code_used',
  'mfa.reset_by_admin',
  'passkey.added',
  'passkey.removed',
  'auth.reauthenticated',
  // v1.2: tokens for other services
  'admin.signing_key_rotated',
  // v1.2: webhook endpoints created, changed or deleted by an admin
  'admin.webhook_changed',
] as const;
export type DomainEventName = (typeof AUDIT_EVENTS)[number];

export interface DomainEvent {
  name: DomainEventName;
  outcome: 'success' | 'failure';
  actorId?: string | null;
  targetUserId?: string | null;
  sessionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** never passwords or tokens */
  metadata?: Record<string, unknown>;
  /**
   * Set when the event is emitted inside the unit of work of the change it describes: listeners
   * that persist write through it, so the event commits (or rolls back) with the change, and
   * may register effects of their own for after the commit.
   */
  tx?: Tx;
}

export interface RecordOptions {
  /** the user the event is about; the actor when not given */
  target?: string | null;
  /** `success` when not given */
  outcome?: 'success' | 'failure';
  /** never passwords or tokens */
  metadata?: Record<string, unknown>;
  /** the unit of work of the change the event describes: the record commits or rolls back with it */
  tx?: Tx;
}

/**
 * One listener method for several events (EventEmitter2 would read an array as one namespaced
 * name). Listeners that persist use `{ async: false, promisify: true, suppressErrors: false }`:
 * `record` waits for them and a failure fails the change that emitted the event.
 */
export function OnEvents(names: readonly DomainEventName[], options: Parameters<typeof OnEvent>[1]): MethodDecorator {
  return (target, key, descriptor) => {
    for (const name of names) OnEvent(name, options)(target, key, descriptor);
    return descriptor;
  };
}

/**
 * Records typed domain events and waits for the listeners, one after the other: a listener that
 * fails inside a transaction fails the change (and the listeners after it do not run), so an
 * accepted change never loses its audit record or its webhooks.
 */
@Injectable()
export class DomainEvents {
  constructor(private readonly emitter: EventEmitter2) {}

  /** `record('password.changed', actor, { metadata, tx })`: one event of `name` by `actor`. */
  async record(name: DomainEventName, actor: Actor, opts: RecordOptions = {}): Promise<void> {
    const event: DomainEvent = {
      name,
      outcome: opts.outcome ?? 'success',
      actorId: actor.actorId,
      targetUserId: opts.target === undefined ? actor.actorId : opts.target,
      sessionId: actor.sessionId ?? null,
      ip: actor.ip ?? null,
      userAgent: actor.userAgent ?? null,
      // an operator command has no actor id: the record says it was the CLI
      metadata: actor.kind === 'cli' ? { ...opts.metadata, actor: 'cli' } : opts.metadata,
      tx: opts.tx,
    };
    // one listener after the other, not all at once (emitAsync): the listeners of an event inside a
    // transaction (audit, webhooks, ...) write through its one connection, which runs one query at
    // a time — node-postgres only queues overlapping queries, deprecated, and pg 9 refuses them
    for (const listener of this.emitter.listeners(event.name)) {
      await (listener as (e: DomainEvent) => unknown).call(this.emitter, event);
    }
  }
}
