import { useState } from 'preact/hooks';
import { type AdminSession, api, call } from '../api';
import { isUuid, opt, optBool } from '../format';
import { describeSession, revokeQuestion, SessionsTable } from '../sessions-table';
import { Empty, ErrorText, Notice, PageTitle, Pager, useAction, usePaged } from '../ui';

interface Filters {
  active: string;
  user_id: string;
  auth_method: string;
}

/** Every user's sessions (filters: state, user, sign-in method), each revocable. */
export function SessionsPage() {
  const [filters, setFilters] = useState<Filters>({ active: 'true', user_id: '', auth_method: '' });
  const [formError, setFormError] = useState<string | null>(null);
  const action = useAction();
  const paged = usePaged<AdminSession>(JSON.stringify(filters), (cursor) =>
    call(
      api.GET('/api/v1/admin/sessions', {
        params: {
          query: {
            active: optBool(filters.active),
            user_id: opt(filters.user_id),
            auth_method: opt(filters.auth_method) as AdminSession['auth_method'] | undefined,
            limit: 25,
            cursor,
          },
        },
      }),
    ),
  );

  const apply = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const userId = String(form.get('user_id') ?? '').trim();
    if (userId && !isUuid(userId)) {
      setFormError('The user id is a UUID, as shown on the user’s page.');
      return;
    }
    setFormError(null);
    setFilters({ active: String(form.get('active') ?? ''), user_id: userId, auth_method: String(form.get('auth_method') ?? '') });
  };

  const revoke = (s: AdminSession) =>
    action
      .run(() => call(api.DELETE('/api/v1/admin/sessions/{id}', { params: { path: { id: s.id } } })), `Revoked ${describeSession(s)}.`, {
        message: revokeQuestion(s),
        action: 'Revoke session',
      })
      .then((done) => done && paged.reload());

  return (
    <>
      <PageTitle title="Sessions">Sessions</PageTitle>
      <form class="filters" aria-label="Filter sessions" onSubmit={apply}>
        <label>
          State
          <select name="active">
            <option value="true">Active</option>
            <option value="false">Revoked or expired</option>
            <option value="">All</option>
          </select>
        </label>
        <label>
          User id
          <input name="user_id" defaultValue={filters.user_id} spellcheck={false} aria-describedby="session-filter-error" />
        </label>
        <label>
          Method
          <select name="auth_method">
            <option value="">Any</option>
            <option value="password">password</option>
            <option value="passkey">passkey</option>
            <option value="google">google</option>
            <option value="github">github</option>
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      <div id="session-filter-error">
        <ErrorText error={formError} />
      </div>
      <ErrorText error={action.error ?? paged.error} />
      <Notice text={action.notice} />
      <Empty loading={paged.loading} count={paged.items.length} what="sessions match" />
      {paged.items.length > 0 && <SessionsTable items={paged.items} label="Sessions" busy={action.busy} onRevoke={revoke} />}
      <Pager paged={paged} label="Sessions" />
      {action.dialog}
    </>
  );
}
