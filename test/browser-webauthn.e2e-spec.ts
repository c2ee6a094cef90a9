import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import type { Browser, Page } from 'playwright-core';
import { addVirtualAuthenticator, launchChromium, requireChromium, type VirtualAuthenticator } from './support/browser';

/**
 * A real browser's WebAuthn against @simplewebauthn/server: headless Chromium with a CDP virtual
 * authenticator (platform, passkeys, UV) on a page served from http://localhost:<port> (a secure
 * context, so navigator.credentials works), which posts its credentials back to this server.
 */

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>passkeys</title></head><body>
<script>
const enc = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), (c) => c.charCodeAt(0));
async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
}
window.register = async (username) => {
  const o = await post('/register/options', { username });
  const publicKey = { ...o, challenge: dec(o.challenge), user: { ...o.user, id: dec(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: dec(c.id) })) };
  const cred = await navigator.credentials.create({ publicKey });
  const r = cred.response;
  return post('/register/verify', {
    id: cred.id, rawId: enc(cred.rawId), type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: { clientDataJSON: enc(r.clientDataJSON), attestationObject: enc(r.attestationObject),
      transports: r.getTransports ? r.getTransports() : [], authenticatorData: enc(r.getAuthenticatorData()),
      publicKeyAlgorithm: r.getPublicKeyAlgorithm(), publicKey: enc(r.getPublicKey()) },
  });
};
window.login = async (userVerification) => {
  const o = await post('/login/options', { userVerification });
  const publicKey = { ...o, challenge: dec(o.challenge), allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: dec(c.id) })) };
  let cred;
  try { cred = await navigator.credentials.get({ publicKey }); } catch (e) { return { browserError: e.name }; }
  const r = cred.response;
  return post('/login/verify', {
    id: cred.id, rawId: enc(cred.rawId), type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: { clientDataJSON: enc(r.clientDataJSON), authenticatorData: enc(r.authenticatorData), signature: enc(r.signature),
      userHandle: r.userHandle ? enc(r.userHandle) : undefined },
  });
};
</script></body></html>`;

/** What the page's script puts on window (the test's tsconfig has no DOM lib, hence globalThis + this type). */
interface PageApi {
  isSecureContext: boolean;
  register(username: string): Promise<any>;
  login(userVerification: 'required' | 'preferred' | 'discouraged'): Promise<any>;
}

/** The relying party: a tiny HTTP server keeping one pending challenge per ceremony and the credentials in memory. */
class RelyingParty {
  readonly rpID = 'localhost';
  origin = '';
  private server?: http.Server;
  private regChallenge?: { challenge: string; userID: string; username: string };
  private loginChallenge?: { challenge: string; userVerification: 'required' | 'preferred' | 'discouraged' };
  readonly credentials = new Map<string, { credential: WebAuthnCredential; userID: string; username: string }>();

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res).catch((err: Error) => send(res, 500, { error: err.message }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.origin = `http://localhost:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      return;
    }
    if (req.method !== 'POST') return send(res, 404, { error: 'not found' });
    const body = JSON.parse((await readBody(req)) || '{}');
    switch (req.url) {
      case '/register/options': {
        const options = await generateRegistrationOptions({
          rpName: 'Identity test',
          rpID: this.rpID,
          userName: body.username,
          attestationType: 'none',
          authenticatorSelection: { residentKey: 'required', userVerification: 'required', authenticatorAttachment: 'platform' },
          excludeCredentials: [...this.credentials.values()]
            .filter((c) => c.username === body.username)
            .map((c) => ({ id: c.credential.id, transports: c.credential.transports })),
        });
        this.regChallenge = { challenge: options.challenge, userID: options.user.id, username: body.username };
        return send(res, 200, options);
      }
      case '/register/verify': {
        const pending = this.regChallenge;
        this.regChallenge = undefined;
        if (!pending) return send(res, 400, { error: 'no registration pending' });
        const v = await verifyRegistrationResponse({
          response: body as RegistrationResponseJSON,
          expectedChallenge: pending.challenge,
          expectedOrigin: this.origin,
          expectedRPID: this.rpID,
          requireUserVerification: true,
        });
        if (!v.verified) return send(res, 400, { verified: false });
        const info = v.registrationInfo;
        this.credentials.set(info.credential.id, { credential: info.credential, userID: pending.userID, username: pending.username });
        return send(res, 200, {
          verified: true,
          credentialId: info.credential.id,
          userID: pending.userID,
          fmt: info.fmt,
          userVerified: info.userVerified,
          counter: info.credential.counter,
          transports: info.credential.transports,
          credentialDeviceType: info.credentialDeviceType,
          credentialBackedUp: info.credentialBackedUp,
          authenticatorAttachment: (body as RegistrationResponseJSON).authenticatorAttachment,
        });
      }
      case '/login/options': {
        const userVerification = body.userVerification ?? 'required';
        const options = await generateAuthenticationOptions({ rpID: this.rpID, allowCredentials: [], userVerification });
        this.loginChallenge = { challenge: options.challenge, userVerification };
        return send(res, 200, options);
      }
      case '/login/verify': {
        const pending = this.loginChallenge;
        this.loginChallenge = undefined;
        if (!pending) return send(res, 400, { error: 'no login pending' });
        const response = body as AuthenticationResponseJSON;
        const known = this.credentials.get(response.id);
        if (!known) return send(res, 400, { error: 'unknown credential' });
        if (response.response.userHandle !== known.userID) return send(res, 400, { error: 'userHandle does not match' });
        const v = await verifyAuthenticationResponse({
          response,
          expectedChallenge: pending.challenge,
          expectedOrigin: this.origin,
          expectedRPID: this.rpID,
          credential: known.credential,
          requireUserVerification: pending.userVerification === 'required',
        });
        if (!v.verified) return send(res, 400, { verified: false });
        known.credential.counter = v.authenticationInfo.newCounter;
        return send(res, 200, {
          verified: true,
          username: known.username,
          credentialId: v.authenticationInfo.credentialID,
          newCounter: v.authenticationInfo.newCounter,
          userVerified: v.authenticationInfo.userVerified,
        });
      }
      default:
        return send(res, 404, { error: 'not found' });
    }
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

describe('WebAuthn in a real browser: Chromium + CDP virtual authenticator', () => {
  const rp = new RelyingParty();
  let browser: Browser | undefined;
  let page: Page;
  let authenticator: VirtualAuthenticator;

  beforeAll(async () => {
    if (!requireChromium('the browser WebAuthn test')) return;
    await rp.start();
    browser = await launchChromium();
    page = await browser.newPage();
    authenticator = await addVirtualAuthenticator(page);
    await page.goto(`${rp.origin}/`);
    expect(await page.evaluate(() => (globalThis as unknown as PageApi).isSecureContext)).toBe(true);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await rp.stop();
  });

  it('registers a passkey with navigator.credentials.create and signs in with a discoverable navigator.credentials.get', async () => {
    if (!browser) return; // only with ALLOW_NO_BROWSER=1 and no Chromium (requireChromium said so)

    const reg = await page.evaluate((name) => (globalThis as unknown as PageApi).register(name), 'ada@example.test');
    expect(reg).toMatchObject({
      verified: true,
      fmt: 'none',
      userVerified: true,
      transports: ['internal'],
      credentialDeviceType: 'singleDevice',
      credentialBackedUp: false,
      authenticatorAttachment: 'platform',
    });

    const [held] = await authenticator.credentials();
    expect(held).toMatchObject({ credentialId: reg.credentialId, isResidentCredential: true, rpId: 'localhost', userHandle: reg.userID });

    const login = (uv: 'required' | 'preferred' | 'discouraged') => page.evaluate((v) => (globalThis as unknown as PageApi).login(v), uv);
    const first = await login('required');
    expect(first).toMatchObject({ verified: true, username: 'ada@example.test', credentialId: reg.credentialId, userVerified: true });
    const second = await login('required');
    expect(second.verified).toBe(true);
    expect(second.newCounter).toBeGreaterThan(first.newCounter);
    expect((await authenticator.credentials())[0].signCount).toBe(second.newCounter);

    // excludeCredentials: the browser refuses to make a second passkey for the same account on this authenticator.
    const again = await page.evaluate(() => (globalThis as unknown as PageApi).register('ada@example.test').catch((e: Error) => ({ browserError: e.name })));
    expect(again).toEqual({ browserError: 'InvalidStateError' });
    expect(await authenticator.credentials()).toHaveLength(1);

    // UV fails on the authenticator: the ceremony fails in the browser (NotAllowedError, at once) for
    // 'required' and 'preferred' alike, and never reaches the server; 'discouraged' asks for no UV and
    // comes back with UV false, which the server accepts only because it does not require UV then.
    await authenticator.setUserVerified(false);
    expect(await login('required')).toEqual({ browserError: 'NotAllowedError' });
    expect(await login('preferred')).toEqual({ browserError: 'NotAllowedError' });
    expect(await login('discouraged')).toMatchObject({ verified: true, userVerified: false });
    await authenticator.setUserVerified(true);
  });
});
