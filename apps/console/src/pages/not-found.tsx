import { PageTitle } from '../ui';

export function NotFoundPage() {
  return (
    <>
      <PageTitle title="Not found">Page not found</PageTitle>
      <p>
        There is no such page in the console. Go to <a href="/console/users">Users</a>.
      </p>
    </>
  );
}
