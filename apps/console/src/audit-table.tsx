import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { AuditEvent } from './api';
import { isUuid } from './format';
import { Badge, TableWrap, Time } from './ui';

/** Audit events, newest first; each row opens a detail view with the session, client and metadata. */
export function AuditTable({ items, label }: { items: AuditEvent[]; label: string }) {
  const [open, setOpen] = useState<string | null>(null);
  return (
    <TableWrap label={label}>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Event</th>
          <th scope="col">Outcome</th>
          <th scope="col">Actor</th>
          <th scope="col">Target user</th>
          <th scope="col">
            <span class="visually-hidden">Details</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map((e) => (
          <Fragment key={e.id}>
            <tr>
              <td>
                <Time value={e.created_at} />
              </td>
              <td>
                <code>{e.event}</code>
              </td>
              <td>{e.outcome === 'success' ? <Badge tone="ok">success</Badge> : <Badge tone="bad">failure</Badge>}</td>
              <td>{e.actor_id ? <UserRef id={e.actor_id} /> : '–'}</td>
              <td>{e.target_user_id ? <UserRef id={e.target_user_id} /> : '–'}</td>
              <td>
                <button
                  type="button"
                  class="link"
                  aria-expanded={open === e.id}
                  aria-controls={`audit-${e.id}`}
                  onClick={() => setOpen(open === e.id ? null : e.id)}
                >
                  {open === e.id ? 'Hide' : 'Details'}
                </button>
              </td>
            </tr>
            {open === e.id && (
              <tr id={`audit-${e.id}`} class="detail">
                <td colSpan={6}>
                  <dl class="facts">
                    <dt>Event id</dt>
                    <dd>
                      <code>{e.id}</code>
                    </dd>
                    <dt>Session</dt>
                    <dd>{e.session_id ? <code>{e.session_id}</code> : '–'}</dd>
                    <dt>IP address</dt>
                    <dd>{e.ip ?? '–'}</dd>
                    <dt>User agent</dt>
                    <dd>{e.user_agent ?? '–'}</dd>
                  </dl>
                  <p class="muted">Metadata</p>
                  <pre>{JSON.stringify(e.metadata, null, 2)}</pre>
                </td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </TableWrap>
  );
}

/** An actor or target: a user's id links to their page; `cli` and `system` actors are shown as they are. */
function UserRef({ id }: { id: string }) {
  if (!isUuid(id)) return <code>{id}</code>;
  return (
    <a href={`/console/users/${id}`} title={id}>
      <code>{id.slice(0, 8)}…</code>
    </a>
  );
}
