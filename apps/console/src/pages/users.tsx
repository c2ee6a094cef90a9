import { useState } from 'preact/hooks';
import { api, call, type User } from '../api';
import { opt, optBool } from '../format';
import { Badge, Empty, ErrorText, PageTitle, Pager, TableWrap, Time, usePaged } from '../ui';

interface Filters {
  q: string;
  role: string;
  is_active: string;
  email_verified: string;
}
const NO_FILTERS: Filters = { q: '', role: '', is_active: '', email_verified: '' };

/** Users: search by email or name, filter by role, status and verified address, keyset pages. */
export function UsersPage() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const paged = usePaged<User>(JSON.stringify(filters), (cursor) =>
    call(
      api.GET('/api/v1/admin/users', {
        params: {
          query: {
            q: opt(filters.q),
            role: opt(filters.role) as User['role'] | undefined,
            is_active: optBool(filters.is_active),
            email_verified: optBool(filters.email_verified),
            limit: 25,
            cursor,
          },
        },
      }),
    ),
  );

  const search = (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setFilters({
      q: String(form.get('q') ?? ''),
      role: String(form.get('role') ?? ''),
      is_active: String(form.get('is_active') ?? ''),
      email_verified: String(form.get('email_verified') ?? ''),
    });
  };

  return (
    <>
      <PageTitle title="Users">Users</PageTitle>
      <form class="filters" role="search" aria-label="Find users" onSubmit={search}>
        <label>
          Email or name
          <input name="q" type="search" maxLength={100} defaultValue={filters.q} />
        </label>
        <label>
          Role
          <select name="role">
            <option value="">Any</option>
            <option value="admin">admin</option>
            <option value="user">user</option>
            <option value="guest">guest</option>
          </select>
        </label>
        <label>
          Status
          <select name="is_active">
            <option value="">Any</option>
            <option value="true">Active</option>
            <option value="false">Disabled</option>
          </select>
        </label>
        <label>
          Email verified
          <select name="email_verified">
            <option value="">Any</option>
            <option value="true">Verified</option>
            <option value="false">Not verified</option>
          </select>
        </label>
        <button type="submit">Search</button>
      </form>
      <ErrorText error={paged.error} />
      <Empty loading={paged.loading} count={paged.items.length} what="users match" />
      {paged.items.length > 0 && (
        <TableWrap label="Users">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Verified</th>
              <th scope="col">MFA</th>
              <th scope="col">Last sign-in</th>
            </tr>
          </thead>
          <tbody>
            {paged.items.map((u) => (
              <tr key={u.id}>
                <td>
                  <a href={`/console/users/${u.id}`}>{u.email}</a>
                </td>
                <td>{u.name ?? '–'}</td>
                <td>{u.role}</td>
                <td>{u.is_active ? <Badge tone="ok">active</Badge> : <Badge tone="bad">disabled</Badge>}</td>
                <td>{u.email_verified ? 'yes' : 'no'}</td>
                <td>{u.mfa_enabled ? 'on' : 'off'}</td>
                <td>
                  <Time value={u.last_signin_at} />
                </td>
              </tr>
            ))}
          </tbody>
        </TableWrap>
      )}
      <Pager paged={paged} label="Users" />
    </>
  );
}
