import type { DomainEvent, DomainEventName } from '@app/common';
import { WEBHOOK_SOURCES, webhookEventsFor } from './webhook-events';

const USER = '7f4c1f4e-1d2a-4c3b-9a8e-0f1e2d3c4b5a';
const SESSION = '0b6d9a4e-2c1f-4e3d-8b7a-6f5e4d3c2b1a';

function event(name: DomainEventName, metadata: Record<string, unknown> = {}, extra: Partial<DomainEvent> = {}): DomainEvent {
  return { name, outcome: 'success', actorId: USER, targetUserId: USER, sessionId: SESSION, ip: '203.0.113.9', userAgent: 'jest', metadata, ...extra };
}
const types = (e: DomainEvent) => webhookEventsFor(e).map((w) => w.type);

describe('webhookEventsFor', () => {
  it('user.registered, with the sign-up method', () => {
    expect(webhookEventsFor(event('user.registered', { method: 'github' }))).toEqual([{ type: 'user.registered', userId: USER, data: { method: 'github' } }]);
  });

  it('user.updated for a profile change and an admin role change or re-enable', () => {
    expect(webhookEventsFor(event('user.profile_updated', { fields: ['name'] }))).toEqual([
      { type: 'user.updated', userId: USER, data: { changed_fields: ['name'] } },
    ]);
    expect(webhookEventsFor(event('admin.user_updated', { changes: { role: { from: 'user', to: 'admin' } }, unlock: false }))).toEqual([
      { type: 'user.updated', userId: USER, data: { changed_fields: ['role'] } },
    ]);
    expect(types(event('admin.user_updated', { changes: { is_active: { from: false, to: true } } }))).toEqual(['user.updated']);
  });

  it('user.disabled when an admin disables (and user.updated too when the role changed with it); nothing for an unlock alone', () => {
    expect(webhookEventsFor(event('admin.user_updated', { changes: { is_active: { from: true, to: false } }, revoked_sessions: 2 }))).toEqual([
      { type: 'user.disabled', userId: USER, data: { revoked_sessions: 2 } },
    ]);
    expect(types(event('admin.user_updated', { changes: { is_active: { from: true, to: false }, role: { from: 'admin', to: 'user' } } }))).toEqual([
      'user.disabled',
      'user.updated',
    ]);
    expect(types(event('admin.user_updated', { changes: {}, unlock: true }))).toEqual([]);
  });

  it('session.revoked for revocations, logouts and a refresh-token reuse that revoked its session', () => {
    for (const name of ['session.revoked', 'admin.session_revoked', 'auth.logout'] as const) {
      expect(webhookEventsFor(event(name, { reason: 'logout', revoked_session_ids: [SESSION] }))).toEqual([
        { type: 'session.revoked', userId: USER, data: { session_ids: [SESSION], reason: 'logout' } },
      ]);
    }
    expect(webhookEventsFor(event('auth.refresh_reused', { action: 'session_revoked' }, { outcome: 'failure' }))).toEqual([
      { type: 'session.revoked', userId: USER, data: { session_ids: [SESSION], reason: 'refresh_token_reused' } },
    ]);
  });

  it('auth.login for password, provider, passkey and two-step sign-ins; never a failed one', () => {
    expect(webhookEventsFor(event('auth.login', { method: 'password' }))).toEqual([
      {
        type: 'auth.login',
        userId: USER,
        data: { session_id: SESSION, method: 'password', second_factor: null, ip: '203.0.113.9', user_agent: 'jest' },
      },
    ]);
    expect(webhookEventsFor(event('oauth.login', { provider: 'google' }))[0].data).toMatchObject({ method: 'google' });
    expect(webhookEventsFor(event('auth.login', { method: 'password', mfa: 'totp' }))[0].data).toMatchObject({ second_factor: 'totp' });
    expect(types(event('auth.login', { reason: 'invalid_credentials' }, { outcome: 'failure', targetUserId: USER }))).toEqual([]);
    expect(types(event('oauth.login', { reason: 'account_disabled' }, { outcome: 'failure' }))).toEqual([]);
  });

  it('password.changed for a change and a completed reset', () => {
    expect(webhookEventsFor(event('password.changed', { revoked_sessions: 1 }))[0]).toEqual({
      type: 'password.changed',
      userId: USER,
      data: { via: 'change', revoked_sessions: 1 },
    });
    expect(webhookEventsFor(event('password.reset_completed', { revoked_sessions: 3 }))[0].data).toEqual({ via: 'reset', revoked_sessions: 3 });
    expect(types(event('password.changed', { reason: 'invalid_current_password' }, { outcome: 'failure' }))).toEqual([]);
  });

  it('mfa.enabled / mfa.disabled, not for a new set of recovery codes; an admin reset that removed a factor is mfa.disabled', () => {
    expect(webhookEventsFor(event('mfa.enabled', { method: 'totp' }))[0]).toEqual({ type: 'mfa.enabled', userId: USER, data: { method: 'totp' } });
    expect(types(event('mfa.enabled', { method: 'recovery_codes', regenerated: true }))).toEqual([]);
    expect(webhookEventsFor(event('mfa.disabled', { method: 'totp', reason: 'account_claimed' }))[0].data).toEqual({
      method: 'totp',
      reason: 'account_claimed',
    });
    expect(webhookEventsFor(event('mfa.reset_by_admin', { totp: false, passkeys: 2 }))[0]).toMatchObject({
      type: 'mfa.disabled',
      data: { method: 'all', reason: 'admin_reset' },
    });
    expect(types(event('mfa.reset_by_admin', { totp: false, passkeys: 0 }))).toEqual([]);
  });

  it('nothing for events about nobody or outside the sources', () => {
    expect(types(event('user.registered', {}, { targetUserId: null }))).toEqual([]);
    expect(types(event('email.verified'))).toEqual([]);
    expect(types(event('passkey.added'))).toEqual([]);
  });

  it('every source maps to something for a plausible success', () => {
    const plausible: Record<string, Record<string, unknown>> = {
      'admin.user_updated': { changes: { role: { from: 'user', to: 'admin' } } },
      'mfa.reset_by_admin': { totp: true, passkeys: 0 },
    };
    for (const name of WEBHOOK_SOURCES) {
      const e = event(name, plausible[name] ?? {}, name === 'auth.refresh_reused' ? { outcome: 'failure', metadata: { action: 'session_revoked' } } : {});
      expect({ name, n: webhookEventsFor(e).length }).toEqual({ name, n: 1 });
    }
  });
});
