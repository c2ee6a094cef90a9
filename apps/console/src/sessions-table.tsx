import type { AdminSession } from './api';
import { Badge, TableWrap, Time } from './ui';

/** Sessions with their state and a revoke button for each live one. */
export function SessionsTable({
  items,
  label,
  busy,
  onRevoke,
  showUser = true,
}: {
  items: AdminSession[];
  label: string;
  busy: boolean;
  onRevoke: (s: AdminSession) => void;
  showUser?: boolean;
}) {
  return (
    <TableWrap label={label}>
      <thead>
        <tr>
          {showUser && <th scope="col">User</th>}
          <th scope="col">Method</th>
          <th scope="col">Started</th>
          <th scope="col">Last used</th>
          <th scope="col">State</th>
          <th scope="col">Client</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((s) => {
          const live = !s.revoked_at && new Date(s.expires_at).getTime() > Date.now();
          return (
            <tr key={s.id}>
              {showUser && (
                <td>
                  <a href={`/console/users/${s.user_id}`}>{s.user_email}</a>
                </td>
              )}
              <td>{s.auth_method}</td>
              <td>
                <Time value={s.created_at} />
              </td>
              <td>
                <Time value={s.last_used_at} />
              </td>
              <td>
                {s.revoked_at ? <Badge tone="bad">revoked</Badge> : live ? <Badge tone="ok">active</Badge> : <Badge tone="neutral">expired</Badge>}
                {s.current && <Badge tone="neutral">this console</Badge>}
              </td>
              <td class="wrap">
                {s.ip ?? '–'}
                <br />
                <span class="muted small">{s.user_agent ?? ''}</span>
              </td>
              <td>
                {live && (
                  <button type="button" class="danger" disabled={busy} onClick={() => onRevoke(s)} aria-label={`Revoke session ${s.id} of ${s.user_email}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </TableWrap>
  );
}

export function describeSession(s: AdminSession): string {
  return `the ${s.auth_method} session of ${s.user_email} started ${new Date(s.created_at).toLocaleString()}`;
}

/** The confirmation of a revocation; revoking the console's own session signs the admin out. */
export function revokeQuestion(s: AdminSession): string {
  const question = `Revoke ${describeSession(s)}? Its access tokens stop working at once.`;
  return s.current ? `${question} It is the session of this console: you will be signed out.` : question;
}
