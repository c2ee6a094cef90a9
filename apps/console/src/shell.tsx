import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import type { User } from './api';

const SECTIONS = [
  { href: '/console/users', label: 'Users' },
  { href: '/console/sessions', label: 'Sessions' },
  { href: '/console/audit', label: 'Audit' },
  { href: '/console/health', label: 'Health' },
];

/** The frame of every page: skip link, navigation (the current section marked), who is signed in, sign out. */
export function Shell({ user, onSignOut, children }: { user: User; onSignOut: () => void; children: ComponentChildren }) {
  const { path } = useLocation();
  const current = (href: string) => path === href || path.startsWith(href + '/') || (href === '/console/users' && path === '/console');
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Identity console</span>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.href}>
                <a href={s.href} aria-current={current(s.href) ? 'page' : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="me">
          <span class="muted">{user.email}</span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
