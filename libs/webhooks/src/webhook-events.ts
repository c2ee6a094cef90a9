import type { DomainEvent, DomainEventName } from '@app/common';

/** The event types an endpoint may subscribe to (API.md "Tokens for other services (v1.2)"). */
export const WEBHOOK_EVENT_TYPES = [
  'user.registered',
  'user.updated',
  'user.disabled',
  /** declared for subscribers; no delete path exists yet, so nothing sends it */
  'user.deleted',
  'session.revoked',
  'auth.login',
  'password.changed',
  'mfa.enabled',
  'mfa.disabled',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The domain events that become webhooks (the listener subscribes to exactly these). */
export const WEBHOOK_SOURCES: readonly DomainEventName[] = [
  'user.registered',
  'user.profile_updated',
  'admin.user_updated',
  'session.revoked',
  'admin.session_revoked',
  'auth.logout',
  'auth.refresh_reused',
  'auth.login',
  'oauth.login',
  'password.changed',
  'password.reset_completed',
  'mfa.enabled',
  'mfa.disabled',
  'mfa.reset_by_admin',
];

/**
 * A webhook to send: its type, the user it is about (the payload's `data.user` is that user as
 * the change left it, read in the change's transaction) and the rest of `data`. Only ids and
 * fields that are no secret: never a token, hash, code or password.
 */
export interface WebhookEvent {
  type: WebhookEventType;
  userId: string;
  data: Record<string, unknown>;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const count = (v: unknown): number => (typeof v === 'number' ? v : 0);
const ids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * What a domain event means for subscribers. Failures are no webhooks (a wrong password is not a
 * sign-in), except the refresh-token reuse that revoked its session. Pure, so the mapping is
 * unit-tested on its own.
 */
export function webhookEventsFor(e: DomainEvent): WebhookEvent[] {
  const userId = e.targetUserId;
  if (!userId) return [];
  const md = e.metadata ?? {};
  const one = (type: WebhookEventType, data: Record<string, unknown>): WebhookEvent[] => [{ type, userId, data }];
  if (e.name === 'auth.refresh_reused') {
    return md.action === 'session_revoked' && e.sessionId ? one('session.revoked', { session_ids: [e.sessionId], reason: 'refresh_token_reused' }) : [];
  }
  if (e.outcome !== 'success') return [];
  switch (e.name) {
    case 'user.registered':
      return one('user.registered', { method: text(md.method) });
    case 'user.profile_updated':
      return one('user.updated', { changed_fields: ids(md.fields) });
    case 'admin.user_updated': {
      const changes = (md.changes ?? {}) as Record<string, { to?: unknown } | undefined>;
      const disabled = changes.is_active?.to === false;
      const changed = Object.keys(changes).filter((field) => !(disabled && field === 'is_active'));
      return [
        ...(disabled ? one('user.disabled', { revoked_sessions: count(md.revoked_sessions) }) : []),
        ...(changed.length ? one('user.updated', { changed_fields: changed }) : []),
      ];
    }
    case 'session.revoked':
    case 'admin.session_revoked':
    case 'auth.logout':
      return one('session.revoked', { session_ids: ids(md.revoked_session_ids), reason: text(md.reason) });
    case 'auth.login':
    case 'oauth.login':
      return one('auth.login', {
        session_id: e.sessionId ?? null,
        method: text(md.method) ?? text(md.provider),
        second_factor: text(md.mfa),
        ip: e.ip ?? null,
        user_agent: e.userAgent ?? null,
      });
    case 'password.changed':
    case 'password.reset_completed':
      return one('password.changed', { via: e.name === 'password.changed' ? 'change' : 'reset', revoked_sessions: count(md.revoked_sessions) });
    case 'mfa.enabled':
      // a new set of recovery codes is recorded as mfa.enabled too, but enables nothing
      return md.regenerated === true ? [] : one('mfa.enabled', { method: text(md.method) });
    case 'mfa.disabled':
      return one('mfa.disabled', { method: text(md.method), reason: text(md.reason) });
    case 'mfa.reset_by_admin':
      return md.totp === true || count(md.passkeys) > 0 ? one('mfa.disabled', { method: 'all', reason: 'admin_reset' }) : [];
    default:
      return [];
  }
}
