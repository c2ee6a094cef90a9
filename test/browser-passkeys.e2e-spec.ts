import type { Browser, Page } from 'playwright-core';
import { bearer, registerAndLogin } from './support/auth';
import { addVirtualAuthenticator, crossOriginSite, type CrossOriginSite, launchChromium, requireChromium } from './support/browser';
import type { TestApp } from './support/test-app';

/**
 * Passkeys in a real browser against the real API (issue 18): headless Chromium with a CDP virtual
 * authenticator on a tiny page of another origin (http://localhost:<port>, a secure context, the
 * API's FRONTEND_URL and so its WebAuthn RP), calling the API cross-origin with CORS.
 */

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>passkeys</title></head><body>
<script>
const enc = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
async function call(api, path, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  const res = await fetch(api + '/api/v1' + path, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
  return { status: res.status, body: await res.json() };
}
function assertionJSON(cred) {
  const r = cred.response;
  return { id: cred.id, rawId: enc(cred.rawId), type: cred.type, authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: { clientDataJSON: enc(r.clientDataJSON), authenticatorData: enc(r.authenticatorData), signature: enc(r.signature),
      userHandle: r.userHandle ? enc(r.userHandle) : undefined } };
}
window.registerPasskey = async (api, token) => {
  const o = (await call(api, '/auth/passkeys/register/options', {}, token)).body;
  const publicKey = { ...o, challenge: dec(o.challenge), user: { ...o.user, id: dec(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: dec(c.id) })) };
  const cred = await navigator.credentials.create({ publicKey });
  const r = cred.response;
  return call(api, '/auth/passkeys/register/verify', { name: 'Chromium', response: {
    id: cred.id, rawId: enc(cred.rawId), type: cred.type, authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: { clientDataJSON: enc(r.clientDataJSON), attestationObject: enc(r.attestationObject),
      transports: r.getTransports ? r.getTransports() : [], authenticatorData: enc(r.getAuthenticatorData()),
      publicKeyAlgorithm: r.getPublicKeyAlgorithm(), publicKey: enc(r.getPublicKey()) } } }, token);
};
window.signInWithPasskey = async (api) => {
  const { challenge_id, options: o } = (await call(api, '/auth/passkeys/login/options', {})).body;
  const publicKey = { ...o, challenge: dec(o.challenge), allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: dec(c.id) })) };
  let cred;
  try { cred = await navigator.credentials.get({ publicKey }); } catch (e) { return { browserError: e.name }; }
  return call(api, '/auth/passkeys/login/verify', { challenge_id, response: assertionJSON(cred) });
};
</script></body></html>`;

interface PageApi {
  isSecureContext: boolean;
  registerPasskey(api: string, token: string): Promise<{ status: number; body: any }>;
  signInWithPasskey(api: string): Promise<{ status: number; body: any; browserError?: string }>;
}

describe('passkeys in a real browser against the API', () => {
  let site: CrossOriginSite | undefined;
  let api = '';
  let t: TestApp;
  let browser: Browser | undefined;
  let page: Page;

  beforeAll(async () => {
    if (!requireChromium('the browser passkey test')) return;
    site = await crossOriginSite(PAGE);
    ({ api, app: t } = site);
    browser = await launchChromium();
    page = await browser.newPage();
    await addVirtualAuthenticator(page);
    await page.goto(`${site.origin}/`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('registers a passkey with navigator.credentials.create and signs in with it (discoverable), then the token works', async () => {
    if (!browser) return; // only with ALLOW_NO_BROWSER=1 and no Chromium (requireChromium said so)
    expect(await page.evaluate(() => (globalThis as unknown as PageApi).isSecureContext)).toBe(true);
    const me = await registerAndLogin(t);

    const reg = await page.evaluate(([a, token]) => (globalThis as unknown as PageApi).registerPasskey(a, token), [api, me.tokens.access_token] as const);
    expect(reg).toMatchObject({ status: 201, body: { name: 'Chromium', device_type: 'singleDevice', backed_up: false } });

    const signIn = await page.evaluate((a) => (globalThis as unknown as PageApi).signInWithPasskey(a), api);
    expect(signIn.status).toBe(200);
    expect(signIn.body.user).toMatchObject({ id: me.id, mfa_enabled: true });
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(signIn.body.access_token))
      .expect(200);
    const [row] = await t.sql<{ auth_method: string }>(`SELECT auth_method FROM sessions WHERE id = $1`, [signIn.body.session_id]);
    expect(row.auth_method).toBe('passkey');
  }, 60_000);
});
