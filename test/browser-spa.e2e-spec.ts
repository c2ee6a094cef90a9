import type { Browser, Page } from 'playwright-core';
import { register } from './support/auth';
import { crossOriginSite, type CrossOriginSite, launchChromium, requireChromium } from './support/browser';
import type { TestApp } from './support/test-app';

/**
 * A single-page app on another origin in a real browser (issue 20): headless Chromium runs the
 * README's cookie-mode code ("Integrating a browser app") against the API — sign in, reload the
 * page (everything in memory is gone), still signed in through GET /auth/csrf + refresh, sign out,
 * and after another reload signed out for good.
 */

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>spa</title></head><body>
<script>
const API = new URL(location.href).searchParams.get('api') + '/api/v1';
let accessToken = null;
let csrf = null;

async function login(email, password) {
  const res = await fetch(API + '/auth/login', {
    method: 'POST', credentials: 'include',
    headers: { 'Content-Type': 'application/json', 'X-Auth-Mode': 'cookie' },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw await res.json();
  csrf = res.headers.get('X-CSRF-Token');
  const body = await res.json();
  accessToken = body.access_token;
  return { hasRefreshTokenInBody: 'refresh_token' in body, csrf: Boolean(csrf) };
}
async function refresh() {
  const res = await fetch(API + '/auth/refresh', {
    method: 'POST', credentials: 'include',
    headers: { 'Content-Type': 'application/json', 'X-Auth-Mode': 'cookie', 'X-CSRF-Token': csrf },
    body: '{}',
  });
  if (!res.ok) throw await res.json();
  csrf = res.headers.get('X-CSRF-Token');
  accessToken = (await res.json()).access_token;
}
async function resume() {
  const res = await fetch(API + '/auth/csrf', { credentials: 'include' });
  if (!res.ok) return { resumed: false, status: res.status, code: (await res.json()).code };
  csrf = (await res.json()).csrf_token;
  await refresh();
  return { resumed: true };
}
async function me() {
  const res = await fetch(API + '/auth/me', { headers: { Authorization: 'Bearer ' + accessToken } });
  return { status: res.status, email: res.ok ? (await res.json()).email : null };
}
async function logout() {
  const res = await fetch(API + '/auth/logout', { method: 'POST', credentials: 'include', headers: { 'X-CSRF-Token': csrf } });
  accessToken = csrf = null;
  return res.status;
}
Object.assign(window, { login, resume, me, logout, state: () => ({ accessToken, csrf }) });
</script></body></html>`;

type Api = {
  login(email: string, password: string): Promise<{ hasRefreshTokenInBody: boolean; csrf: boolean }>;
  resume(): Promise<{ resumed: boolean; status?: number; code?: string }>;
  me(): Promise<{ status: number; email: string | null }>;
  logout(): Promise<number>;
  state(): { accessToken: string | null; csrf: string | null };
};

describe('a browser app on another origin (cookie mode) survives a reload', () => {
  let site: CrossOriginSite | undefined;
  let t: TestApp;
  let browser: Browser | undefined;
  let page: Page;
  let url = '';

  beforeAll(async () => {
    if (!requireChromium('the browser SPA test')) return;
    site = await crossOriginSite(PAGE);
    t = site.app;
    url = `${site.origin}/?api=${encodeURIComponent(site.api)}`;
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('login, reload, still signed in, logout, reload, signed out', async () => {
    if (!browser) return; // only with ALLOW_NO_BROWSER=1 and no Chromium (requireChromium said so)
    const user = await register(t);

    const signedIn = await page.evaluate(([e, p]) => (globalThis as unknown as Api).login(e, p), [user.email, user.password] as const);
    expect(signedIn).toEqual({ hasRefreshTokenInBody: false, csrf: true });
    expect(await page.evaluate(() => (globalThis as unknown as Api).me())).toEqual({ status: 200, email: user.email });
    // the refresh token is an HttpOnly cookie of the API: the page's script cannot see it
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'refresh_token')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/v1/auth' });

    await page.reload();
    expect(await page.evaluate(() => (globalThis as unknown as Api).state())).toEqual({ accessToken: null, csrf: null });
    expect(await page.evaluate(() => (globalThis as unknown as Api).resume())).toEqual({ resumed: true });
    expect(await page.evaluate(() => (globalThis as unknown as Api).me())).toEqual({ status: 200, email: user.email });

    expect(await page.evaluate(() => (globalThis as unknown as Api).logout())).toBe(204);
    await page.reload();
    expect(await page.evaluate(() => (globalThis as unknown as Api).resume())).toEqual({ resumed: false, status: 401, code: 'invalid_refresh_token' });
    const sessions = await t.sql<{ revoked_at: Date | null }>(`SELECT revoked_at FROM sessions WHERE user_id = $1`, [user.id]);
    expect(sessions.length).toBe(1);
    expect(sessions[0].revoked_at).not.toBeNull();
  }, 60_000);
});
