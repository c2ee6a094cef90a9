import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bearer, login, PASSWORD, register, uniqueEmail } from './support/auth';
import { addVirtualAuthenticator, launchChromium, requireChromium } from './support/browser';
import { freePort } from './support/net';
import { startTestApp, type TestApp } from './support/test-app';
import { enrolTotp, totpCode } from './support/totp';

/**
 * The admin console in a real browser (issue 21): headless Chromium (Debian's) loads /console from
 * the API, signs in as the bootstrap admin, finds a user, revokes one of their sessions (that
 * session's access token is refused right after), disables and enables them, filters the audit log
 * to find the revocation (and exports it as CSV), and opens health — at 1280 px, then at 390 px —
 * with screenshots saved under CONSOLE_SCREENSHOTS (default artifacts/console). The page must run
 * under its CSP without a single violation.
 */

const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS ?? join(__dirname, '..', 'artifacts', 'console');
const ADMIN_EMAIL = uniqueEmail('root');
const ADMIN_PASSWORD = 'Bootstrap-Admin-1';

describe('the admin console in Chromium', () => {
  let t: TestApp | undefined;
  let browser: Browser | undefined;
  let base = '';

  beforeAll(async () => {
    if (!requireChromium('the console browser test')) return;
    // the API's own origin is the console's, and (for passkeys) the WebAuthn RP: localhost
    const port = await freePort();
    base = `http://localhost:${port}`;
    t = await startTestApp({ BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD, PUBLIC_URL: base, FRONTEND_URL: base });
    await t.app.listen(port, '127.0.0.1');
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A fresh browser profile at `width`, which records every CSP violation and page error. */
  async function open(width: number): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
    const context = await browser!.newContext({ viewport: { width, height: width < 600 ? 844 : 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    return { context, page, problems };
  }

  async function signIn(page: Page, email: string, password: string) {
    await page.goto(`${base}/console`);
    await page.getByRole('heading', { name: 'Sign in to the identity console' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  const status = async (token: string) =>
    (
      await t!
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(token))
    ).status;

  it('signs in as the bootstrap admin, revokes a session, disables and enables a user, finds it in the audit log, shows health', async () => {
    if (!browser || !t) return;
    const target = await register(t, uniqueEmail('target'), PASSWORD, 'Console Target');
    const first = await login(t, target.email, PASSWORD, 'first-device');
    const second = await login(t, target.email, PASSWORD, 'second-device');
    const { context, page, problems } = await open(1280);
    try {
      await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();

      // find the user by part of their address
      await page.getByLabel('Email or name').fill(target.email.split('@')[0]);
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('link', { name: target.email }).click();
      await page.getByRole('heading', { name: target.email, level: 1 }).waitFor();
      // navigation put the focus on the new page's heading
      await page.waitForFunction("document.activeElement?.id === 'page-title'");
      await page.screenshot({ path: join(SCREENSHOTS, 'user-1280.png'), fullPage: true });

      // revoke the first session: asks first, then that session's token is refused at once
      await page.getByRole('button', { name: `Revoke session ${first.session_id} of ${target.email}` }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText('Its access tokens stop working at once').waitFor();
      await dialog.getByRole('button', { name: 'Revoke session' }).click();
      await page.getByRole('status').getByText('Revoked the password session').waitFor();
      expect(await status(first.access_token)).toBe(401);
      expect(await status(second.access_token)).toBe(200);
      // the list is read again: the revoked session is gone from the active ones
      await page.getByRole('button', { name: `Revoke session ${first.session_id} of ${target.email}` }).waitFor({ state: 'detached' });

      // cancelling a confirmation changes nothing
      await page.getByRole('button', { name: 'Disable user' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      expect(await status(second.access_token)).toBe(200);

      // disable (every session goes, sign-in refused), then enable (sign-in works again)
      await page.getByRole('button', { name: 'Disable user' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Disable user' }).click();
      await page.getByRole('status').getByText('is disabled').waitFor();
      expect(await status(second.access_token)).toBe(401);
      expect((await t.http().post('/api/v1/auth/login').send({ email: target.email, password: PASSWORD })).status).toBe(403);
      await page.getByRole('button', { name: 'Enable user' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Enable user' }).click();
      await page.getByRole('status').getByText('is enabled again').waitFor();
      await login(t, target.email);

      // a role change, confirmed
      await page.getByLabel('Role').selectOption('guest');
      await page.getByRole('button', { name: 'Change role' }).click();
      await page.getByRole('dialog').getByText('from user to guest').waitFor();
      await page.getByRole('dialog').getByRole('button', { name: 'Change role' }).click();
      await page.getByRole('status').getByText('is now guest').waitFor();
      expect((await t.sql<{ role: string }>(`SELECT role FROM users WHERE id = $1`, [target.id]))[0].role).toBe('guest');

      // from one user's page to another's (the actor of an event in the audit trail): the page is
      // the other user's at once, focus on its heading, its buttons act on that user
      const [{ id: adminId }] = await t.sql<{ id: string }>(`SELECT id FROM users WHERE email = $1`, [ADMIN_EMAIL]);
      await page
        .getByRole('region', { name: `Audit events about ${target.email}` })
        .locator(`a[title="${adminId}"]`)
        .first()
        .click();
      await page.getByRole('heading', { name: ADMIN_EMAIL, level: 1 }).waitFor();
      await page.waitForFunction("document.activeElement?.id === 'page-title'");

      // a failed action shows the problem's detail: an admin cannot disable itself
      await page.getByRole('button', { name: 'Disable user' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Disable user' }).click();
      await page.getByRole('alert').getByText('(self_modification)').waitFor();

      // an in-app navigation to a user who does not exist shows no one's buttons (nothing of the
      // previous page may act on the new id)
      await page.evaluate("history.pushState(null, '', '/console/users/00000000-0000-4000-8000-000000000000'); dispatchEvent(new PopStateEvent('popstate'))");
      await page.getByRole('alert').getByText('(not_found)').waitFor();
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('User');
      expect(await page.getByRole('button', { name: 'Disable user' }).count()).toBe(0);

      // the audit log, filtered to admin revocations, has this one; its details and the CSV carry the session
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit' }).click();
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      await page.getByLabel('Event', { exact: true }).fill('admin.session_revoked');
      await page.getByLabel('Target user id').fill(target.id);
      await page.getByRole('button', { name: 'Apply' }).click();
      const rows = page.getByRole('region', { name: 'Audit events' }).locator('tbody tr');
      await rows.first().waitFor();
      const events = await rows.locator('td:nth-child(2)').allTextContents();
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((e) => e === 'admin.session_revoked')).toBe(true);
      await page.getByRole('button', { name: 'Details' }).last().click();
      await page.getByText(first.session_id).first().waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, 'audit-1280.png'), fullPage: true });
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      const csv = readFileSync((await download.path())!, 'utf8');
      const lines = csv.trim().split('\r\n');
      expect(lines[0]).toBe('created_at,event,outcome,actor_id,target_user_id,session_id,ip,user_agent,metadata,id');
      expect(lines.length).toBe(events.length + 1);
      expect(csv).toContain(first.session_id);

      // health: the report of this node, refreshed in place
      await page.getByRole('link', { name: 'Health' }).click();
      await page.getByRole('heading', { name: 'Health', level: 1 }).waitFor();
      await page.getByTestId('health-status').waitFor();
      expect(['healthy', 'degraded']).toContain(await page.getByTestId('health-status').textContent());
      await page.getByRole('heading', { name: /Database/ }).waitFor();
      await page.screenshot({ path: join(SCREENSHOTS, 'health-1280.png'), fullPage: true });

      // a reload on a deep route: the page is served again and the session resumes from the cookie
      await page.reload();
      await page.getByRole('heading', { name: 'Health', level: 1 }).waitFor();

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to the identity console' }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Sign in to the identity console' }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('is usable at 390 px: the same pages, nothing wider than the screen', async () => {
    if (!browser || !t) return;
    const { context, page, problems } = await open(390);
    try {
      await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      await page.getByRole('region', { name: 'Users' }).waitFor();
      const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(await overflow()).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'users-390.png'), fullPage: true });
      await page.getByRole('link', { name: 'Sessions' }).click();
      await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
      await page.getByRole('region', { name: 'Sessions' }).waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'sessions-390.png'), fullPage: true });
      await page.getByRole('link', { name: 'Health' }).click();
      await page.getByTestId('health-status').waitFor();
      expect(await overflow()).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'health-390.png'), fullPage: true });

      // revoking the console's own session ends it: back to the sign-in page, saying why
      await page.getByRole('link', { name: 'Sessions' }).click();
      await page
        .getByRole('row')
        .filter({ hasText: 'this console' })
        .getByRole('button', { name: /^Revoke session/ })
        .click();
      await page.getByRole('dialog').getByRole('button', { name: 'Revoke session' }).click();
      await page.getByRole('heading', { name: 'Sign in to the identity console' }).waitFor();
      await page.getByRole('alert').getByText('Your session has ended').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('has no serious or critical accessibility violations (axe-core, WCAG 2 A/AA) on its pages', async () => {
    if (!browser || !t) return;
    // axe is injected as a script, which the console's CSP (rightly) refuses: this context bypasses it
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    const axe = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    type Violation = { id: string; impact: string; help: string; nodes: { target: string[] }[] };
    const audit = async (name: string) => {
      await page.addScriptTag({ content: axe });
      const violations = await page.evaluate<Violation[]>(
        "axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))",
      );
      return violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${name}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    };
    try {
      const found: string[] = [];
      await page.goto(`${base}/console`);
      await page.getByRole('heading', { name: 'Sign in to the identity console' }).waitFor();
      found.push(...(await audit('sign-in')));
      await page.getByLabel('Email').fill(ADMIN_EMAIL);
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('region', { name: 'Users' }).waitFor();
      found.push(...(await audit('users')));
      await page.getByRole('link', { name: ADMIN_EMAIL }).click();
      await page.getByRole('region', { name: /Audit events about/ }).waitFor();
      found.push(...(await audit('user')));
      for (const [link, ready] of [
        ['Sessions', () => page.getByRole('region', { name: 'Sessions' }).waitFor()],
        ['Audit', () => page.getByRole('region', { name: 'Audit events' }).waitFor()],
        ['Health', () => page.getByTestId('health-status').waitFor()],
      ] as const) {
        await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: link }).click();
        await ready();
        found.push(...(await audit(link)));
      }
      expect(found).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('pages users with a keyset cursor; a new search starts at page 1, also when it comes back to an earlier one', async () => {
    if (!browser || !t) return;
    const tag = `pager-${Date.now().toString(36)}`;
    await t.sql(
      `INSERT INTO users (email, email_canonical, name, role) SELECT $1 || '-' || n || '@example.com', $1 || '-' || n || '@example.com', 'Pager ' || n, 'user' FROM generate_series(1, 30) AS n`,
      [tag],
    );
    const { context, page, problems } = await open(1280);
    const rows = () => page.getByRole('region', { name: 'Users' }).locator('tbody tr');
    const search = async (q: string) => {
      await page.getByLabel('Email or name').fill(q);
      await page.getByRole('button', { name: 'Search' }).click();
    };
    try {
      await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      await search(tag);
      await page.getByRole('region', { name: 'Users' }).getByText(tag).first().waitFor();
      expect(await rows().count()).toBe(25);
      await page.getByRole('button', { name: 'Next' }).click();
      await page.getByText('Page 2').waitFor();
      await page.getByRole('region', { name: 'Users' }).getByText('@example.com').first().waitFor();
      await expect(rows().count()).resolves.toBe(5);
      const second = await rows().locator('td:first-child').allTextContents();
      expect(second.every((e) => e.startsWith(`${tag}-`))).toBe(true);

      await search('no-such-user-anywhere');
      await page.getByText('No users match.').waitFor();
      await page.getByText('Page 1').waitFor();
      await search(tag);
      await page.getByRole('region', { name: 'Users' }).getByText(tag).first().waitFor();
      await page.getByText('Page 1').waitFor();
      expect(await rows().count()).toBe(25);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('works from the keyboard alone: sign-in, skip link, navigation to the heading, a dialog that Escape cancels', async () => {
    if (!browser || !t) return;
    const target = await register(t, uniqueEmail('keys'));
    const session = await login(t, target.email);
    const { context, page, problems } = await open(1280);
    const active = () => page.evaluate<string>("(document.activeElement?.id || '') + '|' + (document.activeElement?.textContent || '').trim()");
    const tabTo = async (text: string) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if ((await active()).endsWith(`|${text}`)) return;
      }
      throw new Error(`Tab never reached "${text}" (at ${await active()})`);
    };
    try {
      await page.goto(`${base}/console`);
      await page.getByRole('heading', { name: 'Sign in to the identity console' }).waitFor();
      await page.keyboard.press('Tab');
      await page.keyboard.type(ADMIN_EMAIL);
      await page.keyboard.press('Tab');
      await page.keyboard.type(ADMIN_PASSWORD);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();

      // the first Tab reaches the skip link, which moves the focus to the content
      await page.locator('body').focus();
      await tabTo('Skip to content');
      await page.keyboard.press('Enter');
      expect((await active()).startsWith('main|')).toBe(true);

      // a section link, followed with Enter: the focus lands on the new page's heading
      await tabTo('Sessions');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Sessions', level: 1 }).waitFor();
      await page.waitForFunction("document.activeElement?.id === 'page-title'");

      // a revoke button opens the dialog with the focus in it; Escape cancels, nothing is revoked
      const revoke = page.getByRole('button', { name: `Revoke session ${session.session_id} of ${target.email}` });
      await revoke.focus();
      await page.keyboard.press('Enter');
      await page.getByRole('dialog').waitFor();
      expect(await page.evaluate<boolean>("!!document.activeElement?.closest('dialog')")).toBe(true);
      await page.keyboard.press('Escape');
      await page.getByRole('dialog').waitFor({ state: 'hidden' });
      expect(await status(session.access_token)).toBe(200);
      expect(await active()).toContain('Revoke');
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('refuses a signed-in non-admin, and asks an admin with a second factor for the code', async () => {
    if (!browser || !t) return;
    const user = await register(t, uniqueEmail('plain'));
    const { context, page, problems } = await open(1280);
    try {
      await signIn(page, user.email, PASSWORD);
      await page.getByRole('heading', { name: 'Administrators only' }).waitFor();
      await page.getByText(`whose role is user`).waitFor();
      await expect(page.getByRole('link', { name: 'Users' }).count()).resolves.toBe(0);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to the identity console' }).waitFor();

      // a second admin with TOTP: password, then the code
      const admin = await register(t, uniqueEmail('mfa-admin'));
      await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
      const tokens = await login(t, admin.email);
      const { secret, t0 } = await enrolTotp(t, tokens.access_token);
      await signIn(page, admin.email, PASSWORD);
      await page.getByRole('heading', { name: 'Second factor' }).waitFor();
      await page.getByLabel('Code from your authenticator app').fill('000000');
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByRole('alert').getByText('invalid_mfa_code').waitFor();
      // the confirmation spent the current time step: the next one
      await page.getByLabel('Code from your authenticator app').fill(totpCode(secret, t0 + 30_000));
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('signs an admin in with a passkey: alone (discoverable), and as the second factor after the password', async () => {
    if (!browser || !t) return;
    const admin = await register(t, uniqueEmail('passkey-admin'));
    await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    const tokens = await login(t, admin.email);
    const { context, page, problems } = await open(1280);
    try {
      const authenticator = await addVirtualAuthenticator(page);
      await page.goto(`${base}/console`);
      await page.getByRole('heading', { name: 'Sign in to the identity console' }).waitFor();
      // the admin enrols a passkey on this origin (what their account page in an app would do)
      const enrolled = await page.evaluate(registerPasskeyInPage, tokens.access_token);
      expect(enrolled).toBe(201);
      expect(await authenticator.credentials()).toHaveLength(1);

      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      await page.getByText(admin.email).first().waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();

      await signIn(page, admin.email, PASSWORD);
      await page.getByRole('heading', { name: 'Second factor' }).waitFor();
      await page.getByRole('button', { name: 'Use your passkey' }).click();
      await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
      const [{ method }] = await t.sql<{ method: string }>(`SELECT amr::text AS method FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1`, [
        admin.id,
      ]);
      // the password and a key (the virtual authenticator is a platform one: swk)
      expect(method).toMatch(/pwd/);
      expect(method).toMatch(/swk|hwk/);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);
});

/**
 * Runs in the page: registers a passkey for the bearer of `token` with navigator.credentials.create
 * (the CDP virtual authenticator answers) and the register options/verify routes; the verify status.
 */
async function registerPasskeyInPage(token: string): Promise<number> {
  const g = globalThis as any;
  const enc = (buf: ArrayBuffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buf)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  const dec = (s: string) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const post = (path: string, body: unknown) =>
    fetch(`/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const o: any = await (await post('/auth/passkeys/register/options', {})).json();
  const cred = await g.navigator.credentials.create({
    publicKey: { ...o, challenge: dec(o.challenge), user: { ...o.user, id: dec(o.user.id) }, excludeCredentials: [] },
  });
  const r = cred.response;
  const res = await post('/auth/passkeys/register/verify', {
    name: 'Console test',
    response: {
      id: cred.id,
      rawId: enc(cred.rawId),
      type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: { clientDataJSON: enc(r.clientDataJSON), attestationObject: enc(r.attestationObject), transports: r.getTransports() },
    },
  });
  return res.status;
}
