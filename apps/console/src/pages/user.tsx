import { useContext, useEffect, useState } from 'preact/hooks';
import { type AdminSession, api, call, type Ok, problemText, type User } from '../api';
import { AuditTable } from '../audit-table';
import { describeSession, revokeQuestion, SessionsTable } from '../sessions-table';
import { Badge, Empty, ErrorText, Me, Notice, PageTitle, Pager, TableWrap, Time, useAction, usePaged } from '../ui';

type Identities = Ok<'/api/v1/admin/users/{id}/identities'>;
type Factors = Ok<'/api/v1/admin/users/{id}/factors'>;

/**
 * One user: profile and state, role change, disable / enable, unlock, linked identities, second
 * factors (reset), live sessions (revoke one or all) and the audit events about them.
 */
export function UserPage({ id }: { id: string }) {
  const [user, setUser] = useState<User | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [identities, setIdentities] = useState<Identities | null>(null);
  const [factors, setFactors] = useState<Factors | null>(null);
  const [version, setVersion] = useState(0);
  const action = useAction();
  const me = useContext(Me);
  const path = { params: { path: { id } } };

  useEffect(() => {
    let live = true;
    Promise.all([
      call(api.GET('/api/v1/admin/users/{id}', path)),
      call(api.GET('/api/v1/admin/users/{id}/identities', path)),
      call(api.GET('/api/v1/admin/users/{id}/factors', path)),
    ])
      .then(([u, i, f]) => {
        if (!live) return;
        setUser(u);
        setIdentities(i);
        setFactors(f);
        setLoadError(null);
      })
      .catch((err: unknown) => live && setLoadError(problemText(err)));
    return () => {
      live = false;
    };
  }, [id, version]);

  const sessions = usePaged<AdminSession>(`${id}:${version}`, (cursor) =>
    call(api.GET('/api/v1/admin/sessions', { params: { query: { user_id: id, active: true, limit: 25, cursor } } })),
  );
  const audit = usePaged(`${id}:${version}`, (cursor) =>
    call(api.GET('/api/v1/admin/audit-logs', { params: { query: { target_user_id: id, limit: 20, cursor } } })),
  );
  const refresh = () => setVersion((v) => v + 1);

  if (!user) {
    return (
      <>
        <p class="crumbs">
          <a href="/console/users">Users</a> /
        </p>
        <PageTitle title="User">User</PageTitle>
        {loadError ? <ErrorText error={loadError} /> : <p class="muted">Loading…</p>}
        <p>
          <a href="/console/users">Back to users</a>
        </p>
      </>
    );
  }

  // actions name the user the page shows (the page is keyed by the route's id: the same one)
  const target = { params: { path: { id: user.id } } };
  const isMe = me?.id === user.id;
  const update = (body: { role?: User['role']; is_active?: boolean; unlock?: boolean }, done: string, ask?: { message: string; action: string }) =>
    action.run(() => call(api.PATCH('/api/v1/admin/users/{id}', { ...target, body })).then(setUser), done, ask).then((ok) => ok && refresh());

  const changeRole = (role: User['role']) =>
    update({ role }, `${user.email} is now ${role}.`, {
      message: `Change the role of ${user.email} from ${user.role} to ${role}?`,
      action: 'Change role',
    });
  const disable = () =>
    update({ is_active: false }, `${user.email} is disabled; their sessions were revoked.`, {
      message: `Disable ${user.email}? They can no longer sign in, and every session of theirs is revoked at once.`,
      action: 'Disable user',
    });
  const enable = () =>
    update({ is_active: true }, `${user.email} is enabled again.`, { message: `Enable ${user.email}? They can sign in again.`, action: 'Enable user' });
  const unlock = () =>
    update({ unlock: true }, `Any sign-in lockout of ${user.email} was cleared.`, {
      message: `Clear the sign-in lockout of ${user.email}? Failed attempts start counting from zero.`,
      action: 'Unlock',
    });
  const resetMfa = () =>
    action
      .run(() => call(api.DELETE('/api/v1/admin/users/{id}/mfa', target)), `Every second factor and passkey of ${user.email} was removed.`, {
        message: `Remove every second factor and passkey of ${user.email}? Their sessions are revoked; they then sign in with the password (or a provider) alone.`,
        action: 'Reset second factors',
      })
      .then((ok) => ok && refresh());
  const revokeOne = (s: AdminSession) =>
    action
      .run(() => call(api.DELETE('/api/v1/admin/sessions/{id}', { params: { path: { id: s.id } } })), `Revoked ${describeSession(s)}.`, {
        message: revokeQuestion(s),
        action: 'Revoke session',
      })
      .then((ok) => ok && refresh());
  const revokeAll = () =>
    action
      .run(() => call(api.DELETE('/api/v1/admin/users/{id}/sessions', target)), `Every session of ${user.email} was revoked.`, {
        message: isMe
          ? 'Revoke every one of your sessions? You are signed out everywhere at once, this console included.'
          : `Revoke every session of ${user.email}? They are signed out everywhere at once.`,
        action: 'Revoke all sessions',
      })
      .then((ok) => ok && refresh());

  return (
    <>
      <p class="crumbs">
        <a href="/console/users">Users</a> /
      </p>
      <PageTitle title={user.email}>{user.email}</PageTitle>
      <ErrorText error={action.error ?? loadError} />
      <Notice text={action.notice} />

      <section aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <dl class="facts">
          <dt>Id</dt>
          <dd>
            <code>{user.id}</code>
          </dd>
          <dt>Name</dt>
          <dd>{user.name ?? '–'}</dd>
          <dt>Role</dt>
          <dd>{user.role}</dd>
          <dt>Status</dt>
          <dd>{user.is_active ? <Badge tone="ok">active</Badge> : <Badge tone="bad">disabled</Badge>}</dd>
          <dt>Email</dt>
          <dd>{user.email_verified ? <Badge tone="ok">verified</Badge> : <Badge tone="warn">not verified</Badge>}</dd>
          <dt>Password</dt>
          <dd>{user.has_password ? 'set' : 'none (signs in with a provider or passkey)'}</dd>
          <dt>Created</dt>
          <dd>
            <Time value={user.created_at} />
          </dd>
          <dt>Last sign-in</dt>
          <dd>
            <Time value={user.last_signin_at} />
          </dd>
        </dl>
      </section>

      <section aria-labelledby="actions-heading">
        <h2 id="actions-heading">Actions</h2>
        <div class="actions wrap">
          <RoleForm key={user.role} current={user.role} busy={action.busy} onChange={changeRole} />
          {user.is_active ? (
            <button type="button" class="danger" onClick={disable} disabled={action.busy}>
              Disable user
            </button>
          ) : (
            <button type="button" onClick={enable} disabled={action.busy}>
              Enable user
            </button>
          )}
          <button type="button" onClick={unlock} disabled={action.busy}>
            Unlock sign-in
          </button>
        </div>
      </section>

      <section aria-labelledby="identities-heading">
        <h2 id="identities-heading">Linked identities</h2>
        {identities && identities.items.length > 0 ? (
          <ul>
            {identities.items.map((i) => (
              <li key={i.provider}>
                <strong>{i.provider}</strong> {i.email ?? ''}{' '}
                <span class="muted">
                  (linked <Time value={i.created_at} />)
                </span>
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">No linked provider accounts.</p>
        )}
      </section>

      <section aria-labelledby="factors-heading">
        <h2 id="factors-heading">Second factors and passkeys</h2>
        {factors && (
          <>
            <dl class="facts">
              <dt>Authenticator app (TOTP)</dt>
              <dd>{factors.totp_enabled ? 'on' : 'off'}</dd>
              <dt>Recovery codes left</dt>
              <dd>{factors.recovery_codes_remaining}</dd>
            </dl>
            {factors.passkeys.length > 0 ? (
              <TableWrap label="Passkeys">
                <thead>
                  <tr>
                    <th scope="col">Passkey</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Added</th>
                    <th scope="col">Last used</th>
                  </tr>
                </thead>
                <tbody>
                  {factors.passkeys.map((p) => (
                    <tr key={p.id}>
                      <td>{p.name}</td>
                      <td>
                        {p.device_type === 'multiDevice' ? 'synced' : 'device-bound'}
                        {p.backed_up ? ', backed up' : ''}
                      </td>
                      <td>
                        <Time value={p.created_at} />
                      </td>
                      <td>
                        <Time value={p.last_used_at} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            ) : (
              <p class="muted">No passkeys.</p>
            )}
            {(factors.totp_enabled || factors.passkeys.length > 0) && (
              <button type="button" class="danger" onClick={resetMfa} disabled={action.busy}>
                Reset second factors
              </button>
            )}
          </>
        )}
      </section>

      <section aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Active sessions</h2>
        <ErrorText error={sessions.error} />
        <Empty loading={sessions.loading} count={sessions.items.length} what="active sessions" />
        {sessions.items.length > 0 && (
          <>
            <SessionsTable items={sessions.items} label={`Sessions of ${user.email}`} busy={action.busy} onRevoke={revokeOne} showUser={false} />
            <Pager paged={sessions} label="Sessions" />
            <button type="button" class="danger" onClick={revokeAll} disabled={action.busy}>
              Revoke all sessions
            </button>
          </>
        )}
      </section>

      <section aria-labelledby="audit-heading">
        <h2 id="audit-heading">Audit trail</h2>
        <ErrorText error={audit.error} />
        <Empty loading={audit.loading} count={audit.items.length} what="events about this user" />
        {audit.items.length > 0 && <AuditTable items={audit.items} label={`Audit events about ${user.email}`} />}
        <Pager paged={audit} label="Audit trail" />
      </section>
      {action.dialog}
    </>
  );
}

/** The role picker: the selection is the admin's until they apply it (or the user's role changes). */
function RoleForm({ current, busy, onChange }: { current: User['role']; busy: boolean; onChange: (role: User['role']) => void }) {
  const [role, setRole] = useState(current);
  const submit = (e: Event) => {
    e.preventDefault();
    if (role !== current) onChange(role);
  };
  return (
    <form class="inline-form" onSubmit={submit}>
      <label>
        Role
        <select name="role" value={role} onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as User['role'])}>
          <option value="admin">admin</option>
          <option value="user">user</option>
          <option value="guest">guest</option>
        </select>
      </label>
      <button type="submit" disabled={busy || role === current}>
        Change role
      </button>
    </form>
  );
}
