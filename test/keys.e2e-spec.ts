import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import * as jwt from 'jsonwebtoken';
import { bearer, login, makeAdmin, PASSWORD, registerAndLogin } from './support/auth';
import { TEST_REDIS_URL } from './support/env';
import { Api } from './support/http-client';
import { startApi, stopAll } from './support/processes';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Tokens for other services (issue 19, API.md v1.2): asymmetric signing with keys in PostgreSQL,
 * the JWKS and discovery a stock resource server configures itself from, rotation without a
 * restart on any node, and RFC 7662 introspection for service clients.
 */
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const SERVICE_CLIENTS = `orders:${createHash('sha256').update(CLIENT_SECRET).digest('hex')}`;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

let t: TestApp;
let base = '';

beforeAll(async () => {
  t = await startTestApp({ SERVICE_CLIENTS, JWKS_MAX_AGE: '120' });
  await t.app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
});
afterAll(async () => {
  await stopAll();
  await t?.close();
});

/** A resource server as a product team writes it: the issuer's discovery document, then jose's remote JWKS. */
async function resourceServer(issuerBase: string, issuer: string, audience: string) {
  const discovery = (await (await fetch(`${issuerBase}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  // the discovery document names PUBLIC_URL; this test reaches the same server on its real port
  const jwks = createRemoteJWKSet(new URL(new URL(discovery.jwks_uri).pathname, issuerBase));
  return (token: string) => jwtVerify(token, jwks, { issuer, audience });
}

describe('signing keys, JWKS and discovery', () => {
  it('ES256 by default: tokens carry the kid of a key the JWKS publishes; the discovery document points there', async () => {
    const me = await registerAndLogin(t);
    const header = decodeProtectedHeader(me.tokens.access_token);
    expect(header).toMatchObject({ alg: 'ES256', kid: expect.any(String), typ: 'JWT' });

    const res = await fetch(`${base}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=120');
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((k) => k.kid)).toContain(header.kid);
    expect(keys.length).toBeGreaterThanOrEqual(2); // current and next
    for (const k of keys) {
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
      expect(k.d).toBeUndefined(); // never private material
    }

    const discovery = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery).toEqual({
      issuer: t.config.auth.issuer,
      jwks_uri: 'http://api.test/.well-known/jwks.json',
      introspection_endpoint: 'http://api.test/api/v1/oauth/introspect',
      id_token_signing_alg_values_supported: ['ES256'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
    });
  });

  it('a token signed with JWT_SECRET (HS256) or by an unknown key is refused: the algorithm is pinned', async () => {
    const me = await registerAndLogin(t);
    const claims = jwt.decode(me.tokens.access_token) as Record<string, unknown>;
    const hs = jwt.sign(claims, t.config.auth.jwtSecret, { algorithm: 'HS256' });
    const other = jwt.sign(claims, (await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, {
      algorithm: 'ES256',
      keyid: decodeProtectedHeader(me.tokens.access_token).kid,
    });
    // the payload changed under a good signature, and a signature with one bit flipped
    const [h, p, sig] = me.tokens.access_token.split('.');
    const otherPayload = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    const flipped = Buffer.from(sig, 'base64url');
    flipped[5] ^= 1;
    const tampered = [`${h}.${otherPayload}.${sig}`, `${h}.${p}.${flipped.toString('base64url')}`, `${h}.${p}.`];
    for (const token of [hs, other, ...tampered]) {
      const res = await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(token));
      expect([res.status, res.body.code]).toEqual([401, 'token_invalid']);
    }
  });

  it('across a rotation a resource server keeps verifying old tokens and verifies new ones by their new kid; the API accepts both', async () => {
    const admin = await makeAdmin(t);
    const me = await registerAndLogin(t);
    const verify = await resourceServer(base, t.config.auth.issuer, t.config.auth.audience);
    const oldKid = decodeProtectedHeader(me.tokens.access_token).kid;
    await expect(verify(me.tokens.access_token)).resolves.toMatchObject({ payload: { sub: me.id } });

    const rotated = await fetch(`${base}/api/v1/admin/signing-keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.tokens.access_token}` },
    });
    expect(rotated.status).toBe(200);
    const current = (await rotated.json()) as { kid: string; state: string; alg: string };
    expect(current).toMatchObject({ state: 'current', alg: 'ES256' });
    expect(current.kid).not.toBe(oldKid);

    const fresh = await login(t, me.email);
    expect(decodeProtectedHeader(fresh.access_token).kid).toBe(current.kid);
    await expect(verify(fresh.access_token)).resolves.toMatchObject({ payload: { sub: me.id } });
    await expect(verify(me.tokens.access_token)).resolves.toMatchObject({ payload: { sub: me.id } });
    for (const token of [me.tokens.access_token, fresh.access_token]) {
      await t
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(token))
        .expect(200);
    }

    const list = await t
      .http()
      .get('/api/v1/admin/signing-keys')
      .set(...bearer(admin.tokens.access_token))
      .expect(200);
    const states = Object.fromEntries((list.body.items as { kid: string; state: string }[]).map((k) => [k.kid, k.state]));
    expect(states[oldKid!]).toBe('retired');
    expect(states[current.kid]).toBe('current');
    expect(Object.values(states)).toContain('next');
    expect(JSON.stringify(list.body)).not.toMatch(/private|"d":/);
    const audit = await t.sql(`SELECT metadata FROM audit_events WHERE event = 'admin.signing_key_rotated' AND actor_id = $1`, [admin.id]);
    expect(audit).toHaveLength(1);
    const notAdmin = await t
      .http()
      .post('/api/v1/admin/signing-keys/rotate')
      .set(...bearer(fresh.access_token));
    expect(notAdmin.status).toBe(403);
  });

  it('concurrent rotations run one after the other: no error, one current and one next key after', async () => {
    const admin = await makeAdmin(t);
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        t
          .http()
          .post('/api/v1/admin/signing-keys/rotate')
          .set(...bearer(admin.tokens.access_token)),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const states = await t.sql<{ state: string; n: string }>(
      `SELECT state, count(*) AS n FROM signing_keys WHERE alg = 'ES256' AND state <> 'retired' GROUP BY state ORDER BY state`,
    );
    expect(states.map((r) => [r.state, Number(r.n)])).toEqual([
      ['current', 1],
      ['next', 1],
    ]);
    await login(t, admin.email);
  });

  it('another node (its own process) learns the new current key without a restart', async () => {
    // one process per node: passport keeps one strategy per name per process, so two Nest apps in
    // one process would share the last one's
    const nodeB = await startApi({ env: { DATABASE_URL: t.db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: t.keyPrefix, SERVICE_CLIENTS } });
    try {
      const b = new Api(nodeB.url);
      const first = await registerAndLogin(t);
      expect((await b.me(first.tokens.access_token)).status).toBe(200);
      const admin = await makeAdmin(t);
      await t
        .http()
        .post('/api/v1/admin/signing-keys/rotate')
        .set(...bearer(admin.tokens.access_token))
        .expect(200);
      // node A signs with the new key at once; node B knew it only as the next key
      const me = await login(t, first.email);
      expect((await b.me(me.access_token)).status).toBe(200);
      // and having seen it sign, node B signs with it too
      const onB = await b.signIn(first.email, PASSWORD);
      expect(decodeProtectedHeader(onB.access_token).kid).toBe(decodeProtectedHeader(me.access_token).kid);
    } finally {
      await nodeB.terminate(20_000);
    }
  }, 90_000);
});

describe('introspection (RFC 7662)', () => {
  const introspect = (token: string, auth = basic('orders', CLIENT_SECRET)) =>
    fetch(`${base}/api/v1/oauth/introspect`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });

  it('a live token is active with its claims and the live role; after logout it is inactive at once', async () => {
    const me = await registerAndLogin(t);
    const res = await introspect(me.tokens.access_token);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      active: true,
      sub: me.id,
      sid: me.tokens.session_id,
      role: 'user',
      exp: expect.any(Number),
      iat: expect.any(Number),
      iss: t.config.auth.issuer,
      aud: t.config.auth.audience,
      amr: ['pwd'],
      client_id: 'orders',
    });
    const out = await t
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(me.tokens.access_token));
    expect([out.status, out.body]).toEqual([204, {}]);
    expect(await (await introspect(me.tokens.access_token)).json()).toEqual({ active: false });
  });

  it('expired, malformed, foreign-signed or disabled-user tokens are inactive, with no detail', async () => {
    const me = await registerAndLogin(t);
    const claims = jwt.decode(me.tokens.access_token) as Record<string, unknown>;
    const expired = jwt.sign({ ...claims, iat: 1000, exp: 2000 }, t.signer!.key, { algorithm: 'ES256', keyid: t.signer!.kid });
    const hs = jwt.sign(claims, t.config.auth.jwtSecret, { algorithm: 'HS256' });
    for (const token of [expired, hs, 'not-a-jwt', `${me.tokens.access_token}x`]) {
      expect(await (await introspect(token)).json()).toEqual({ active: false });
    }
    const admin = await makeAdmin(t);
    await t
      .http()
      .patch(`/api/v1/admin/users/${me.id}`)
      .set(...bearer(admin.tokens.access_token))
      .send({ is_active: false })
      .expect(200);
    expect(await (await introspect(me.tokens.access_token)).json()).toEqual({ active: false });
  });

  it('needs a service client: none or a wrong secret is 401 with WWW-Authenticate; the token is not examined', async () => {
    const me = await registerAndLogin(t);
    for (const auth of ['', basic('orders', 'wrong'), basic('nobody', CLIENT_SECRET), `Bearer ${me.tokens.access_token}`]) {
      const res = await introspect(me.tokens.access_token, auth);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    }
    const missing = await fetch(`${base}/api/v1/oauth/introspect`, {
      method: 'POST',
      headers: { authorization: basic('orders', CLIENT_SECRET), 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(missing.status).toBe(400);
  });
});

describe('other algorithms', () => {
  it('EdDSA: tokens verify with the JWKS (OKP Ed25519)', async () => {
    const ed = await startTestApp({ JWT_ALGORITHM: 'EdDSA' });
    try {
      await ed.app.listen(0, '127.0.0.1');
      const edBase = `http://127.0.0.1:${(ed.app.getHttpServer().address() as AddressInfo).port}`;
      const me = await registerAndLogin(ed);
      expect(decodeProtectedHeader(me.tokens.access_token).alg).toBe('EdDSA');
      const { keys } = (await (await fetch(`${edBase}/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
      expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
      const verify = await resourceServer(edBase, ed.config.auth.issuer, ed.config.auth.audience);
      await expect(verify(me.tokens.access_token)).resolves.toMatchObject({ payload: { sub: me.id } });
      await ed
        .http()
        .get('/api/v1/auth/me')
        .set(...bearer(me.tokens.access_token))
        .expect(200);
    } finally {
      await ed.close();
    }
  });

  it('HS256 (compatibility): signs with JWT_SECRET, publishes no keys, has nothing to rotate', async () => {
    const hs = await startTestApp({ JWT_ALGORITHM: 'HS256' });
    try {
      const me = await registerAndLogin(hs);
      expect(decodeProtectedHeader(me.tokens.access_token)).toEqual({ alg: 'HS256', typ: 'JWT' });
      expect(() => jwt.verify(me.tokens.access_token, hs.config.auth.jwtSecret, { algorithms: ['HS256'] })).not.toThrow();
      const jwks = await hs.http().get('/.well-known/jwks.json').expect(200);
      expect(jwks.body).toEqual({ keys: [] });
      const admin = await makeAdmin(hs);
      const rotate = await hs
        .http()
        .post('/api/v1/admin/signing-keys/rotate')
        .set(...bearer(admin.tokens.access_token));
      expect([rotate.status, rotate.body.code]).toEqual([409, 'signing_keys_unavailable']);
    } finally {
      await hs.close();
    }
  });
});
