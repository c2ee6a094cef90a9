import { render } from 'preact';
import { LocationProvider, Route, Router } from 'preact-iso';
import { useEffect, useState } from 'preact/hooks';
import { client, onSessionEnded, problemText, type User } from './api';
import { SignIn } from './sign-in';
import { Shell } from './shell';
import { UsersPage } from './pages/users';
import { UserPage } from './pages/user';
import { SessionsPage } from './pages/sessions';
import { AuditPage } from './pages/audit';
import { HealthPage } from './pages/health';
import { NotFoundPage } from './pages/not-found';
import { focusNextHeading, Me } from './ui';
import './styles.css';

type State = { kind: 'loading' } | { kind: 'signed-out'; error?: string } | { kind: 'signed-in'; user: User };

function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });

  // after a reload: the refresh cookie resumes the session. Its readable companion, the csrf_token
  // cookie (same lifetime), tells whether there is one, so a first visit asks nothing (and logs no 401)
  useEffect(() => {
    if (!/(?:^|;\s*)csrf_token=/.test(document.cookie)) {
      setState({ kind: 'signed-out' });
      return;
    }
    client
      .resume()
      .then(async (tokens) => setState(tokens ? { kind: 'signed-in', user: await client.me() } : { kind: 'signed-out' }))
      .catch((err: unknown) => setState({ kind: 'signed-out', error: problemText(err) }));
  }, []);

  // signed in, a call answered 401: the session is over; back to the sign-in page (once), saying why
  useEffect(() => {
    if (state.kind !== 'signed-in') return;
    let ended = false;
    onSessionEnded((reason) => {
      if (ended) return;
      ended = true;
      void client.logout().catch(() => undefined);
      setState({ kind: 'signed-out', error: `Your session has ended: ${reason}. Sign in again.` });
    });
    return () => onSessionEnded(null);
  }, [state.kind]);

  const signOut = async () => {
    await client.logout().catch(() => undefined);
    setState({ kind: 'signed-out' });
  };

  if (state.kind === 'loading') return <p class="loading">Loading…</p>;
  if (state.kind === 'signed-out') return <SignIn initialError={state.error} onSignedIn={(user) => setState({ kind: 'signed-in', user })} />;
  if (state.user.role !== 'admin') return <Refusal user={state.user} onSignOut={signOut} />;
  return (
    <Me.Provider value={state.user}>
      <LocationProvider scope="/console">
        <Shell user={state.user} onSignOut={signOut}>
          <Router onRouteChange={focusNextHeading}>
            <Route path="/console" component={UsersPage} />
            <Route path="/console/users" component={UsersPage} />
            <Route path="/console/users/:id" component={UserRoute} />
            <Route path="/console/sessions" component={SessionsPage} />
            <Route path="/console/audit" component={AuditPage} />
            <Route path="/console/health" component={HealthPage} />
            <Route default component={NotFoundPage} />
          </Router>
        </Shell>
      </LocationProvider>
    </Me.Provider>
  );
}

/**
 * One user's page per user: the router keeps a route's component from /users/A to /users/B, so the
 * page is keyed by the id — nothing of A (its state, its buttons) may act on B.
 */
function UserRoute({ id }: { id: string }) {
  return <UserPage key={id} id={id} />;
}

/** Signed in, but not an admin: the console is not for this account. */
function Refusal({ user, onSignOut }: { user: User; onSignOut: () => void }) {
  useEffect(() => {
    document.title = 'Not an administrator · Identity console';
    document.getElementById('page-title')?.focus();
  }, []);
  return (
    <main class="narrow">
      <h1 id="page-title" tabIndex={-1}>
        Administrators only
      </h1>
      <p role="alert">
        You are signed in as <strong>{user.email}</strong>, whose role is <strong>{user.role}</strong>. The console is for accounts with the role admin; ask an
        administrator if you need access.
      </p>
      <button type="button" onClick={onSignOut}>
        Sign out
      </button>
    </main>
  );
}

render(<App />, document.getElementById('app')!);
