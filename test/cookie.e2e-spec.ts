import { bearer, register } from './support/auth';
import { startTestApp, TestApp } from './support/test-app';

interface ParsedCookie {
  name: string;
  value: string;
  attrs: Record<string, string | true>;
}

function cookies(res: { headers: Record<string, unknown> }): Record<string, ParsedCookie> {
  const raw = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  const out: Record<string, ParsedCookie> = {};
  for (const line of raw) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const [name, ...v] = pair.split('=');
    const parsed: ParsedCookie = { name, value: decodeURIComponent(v.join('=')), attrs: {} };
    for (const a of attrs) {
      const [k, ...val] = a.split('=');
      parsed.attrs[k.toLowerCase()] = val.length ? val.join('=') : true;
    }
    out[name] = parsed;
  }
  return out;
}

describe('Cookie mode for browser apps', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'http://app.test' });
  });
  afterAll(() => t.close());

  async function cookieLogin() {
    const user = await register(t);
    const res = await t.http().post('/api/v1/auth/login').set('X-Auth-Mode', 'cookie').send({ email: user.email, password: user.password }).expect(200);
    return { user, res, jar: cookies(res) };
  }
  const cookieHeader = (jar: Record<string, ParsedCookie>) =>
    Object.values(jar)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');

  it('login sets an HttpOnly SameSite=Strict refresh cookie scoped to /api/v1/auth and a readable csrf cookie; no refresh_token in the body', async () => {
    const { res, jar } = await cookieLogin();
    expect(res.body.refresh_token).toBeUndefined();
    expect(res.body).toMatchObject({ access_token: expect.any(String), token_type: 'bearer', session_id: expect.any(String) });
    const refresh = jar.refresh_token;
    expect(refresh.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(refresh.attrs).toMatchObject({ httponly: true, samesite: 'Strict', path: '/api/v1/auth', 'max-age': String(7 * 24 * 3600) });
    expect(refresh.attrs.secure).toBeUndefined();
    const csrf = jar.csrf_token;
    expect(csrf.attrs.httponly).toBeUndefined();
    expect(csrf.attrs).toMatchObject({ samesite: 'Strict', path: '/' });
    expect(res.headers['x-csrf-token']).toBe(csrf.value);
  });

  it('GET /auth/csrf gives an app that lost the csrf cookie (a reload on another origin) a token bound to its session', async () => {
    const { jar } = await cookieLogin();
    const onlyRefresh = `refresh_token=${jar.refresh_token.value}`;
    const res = await t.http().get('/api/v1/auth/csrf').set('Cookie', onlyRefresh).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const issued = cookies(res).csrf_token;
    expect(res.body).toEqual({ csrf_token: issued.value });
    expect(res.headers['x-csrf-token']).toBe(issued.value);
    expect(issued.attrs).toMatchObject({ samesite: 'Strict', path: '/' });
    expect(issued.value).not.toBe(jar.csrf_token.value);

    // it works for refresh, and a token issued for another session does not
    const other = await cookieLogin();
    await t
      .http()
      .post('/api/v1/auth/refresh')
      .set('Cookie', `${onlyRefresh}; csrf_token=${other.jar.csrf_token.value}`)
      .set('X-CSRF-Token', other.jar.csrf_token.value)
      .send({})
      .expect(403);
    await t
      .http()
      .post('/api/v1/auth/refresh')
      .set('Cookie', `${onlyRefresh}; csrf_token=${issued.value}`)
      .set('X-CSRF-Token', issued.value)
      .send({})
      .expect(200);
  });

  it('without a refresh cookie: GET /auth/csrf and cookie-mode refresh are 401 invalid_refresh_token; body mode without a token stays 400', async () => {
    const csrf = await t.http().get('/api/v1/auth/csrf').expect(401);
    expect(csrf.body.code).toBe('invalid_refresh_token');
    expect(cookies(csrf).csrf_token).toBeUndefined();
    const refresh = await t.http().post('/api/v1/auth/refresh').set('X-Auth-Mode', 'cookie').send({}).expect(401);
    expect(refresh.body.code).toBe('invalid_refresh_token');
    const body = await t.http().post('/api/v1/auth/refresh').send({}).expect(400);
    expect(body.body.code).toBe('validation_failed');
  });

  it('refreshes from the cookie only with a matching X-CSRF-Token, rotating both cookies', async () => {
    const { jar } = await cookieLogin();
    const missing = await t.http().post('/api/v1/auth/refresh').set('Cookie', cookieHeader(jar)).send({}).expect(403);
    expect(missing.body.code).toBe('csrf_failed');
    const wrong = await t.http().post('/api/v1/auth/refresh').set('Cookie', cookieHeader(jar)).set('X-CSRF-Token', 'nope').send({}).expect(403);
    expect(wrong.body.code).toBe('csrf_failed');

    const ok = await t.http().post('/api/v1/auth/refresh').set('Cookie', cookieHeader(jar)).set('X-CSRF-Token', jar.csrf_token.value).send({}).expect(200);
    expect(ok.body.refresh_token).toBeUndefined();
    const next = cookies(ok);
    expect(next.refresh_token.value).not.toBe(jar.refresh_token.value);
    expect(next.csrf_token.value).not.toBe(jar.csrf_token.value);
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(ok.body.access_token))
      .expect(200);
  });

  it('a rotated cookie presented again (past the grace rules) revokes the session', async () => {
    const { jar: first } = await cookieLogin();
    const r1 = await t.http().post('/api/v1/auth/refresh').set('Cookie', cookieHeader(first)).set('X-CSRF-Token', first.csrf_token.value).send({}).expect(200);
    const second = cookies(r1);
    const r2 = await t
      .http()
      .post('/api/v1/auth/refresh')
      .set('Cookie', cookieHeader(second))
      .set('X-CSRF-Token', second.csrf_token.value)
      .send({})
      .expect(200);
    const reuse = await t
      .http()
      .post('/api/v1/auth/refresh')
      .set('Cookie', cookieHeader(first))
      .set('X-CSRF-Token', first.csrf_token.value)
      .send({})
      .expect(401);
    expect(reuse.body.code).toBe('refresh_token_reused');
    expect(
      (
        await t
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(r2.body.access_token))
      ).body.code,
    ).toBe('token_revoked');
  });

  it('logout by cookie needs the CSRF header, then clears both cookies and kills the access token', async () => {
    const { res, jar } = await cookieLogin();
    const refused = await t.http().post('/api/v1/auth/logout').set('Cookie', cookieHeader(jar)).expect(403);
    expect(refused.body.code).toBe('csrf_failed');
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(res.body.access_token))
      .expect(200);

    const out = await t.http().post('/api/v1/auth/logout').set('Cookie', cookieHeader(jar)).set('X-CSRF-Token', jar.csrf_token.value).expect(204);
    const cleared = cookies(out);
    for (const name of ['refresh_token', 'csrf_token']) {
      expect(cleared[name].value).toBe('');
      expect(new Date(String(cleared[name].attrs.expires)).getTime()).toBeLessThan(Date.now());
    }
    expect(cleared.refresh_token.attrs.path).toBe('/api/v1/auth');
    expect(
      (
        await t
          .http()
          .get('/api/v1/auth/me')
          .set(...bearer(res.body.access_token))
      ).body.code,
    ).toBe('token_revoked');
  });

  it('bearer-authenticated calls need no CSRF token, even with the cookies present', async () => {
    const { res, jar } = await cookieLogin();
    await t
      .http()
      .get('/api/v1/auth/me')
      .set('Cookie', cookieHeader(jar))
      .set(...bearer(res.body.access_token))
      .expect(200);
    const out = await t
      .http()
      .post('/api/v1/auth/logout')
      .set('Cookie', cookieHeader(jar))
      .set(...bearer(res.body.access_token))
      .expect(204);
    expect(cookies(out).refresh_token.value).toBe('');
  });

  it('logout without any credential is 401', async () => {
    const res = await t.http().post('/api/v1/auth/logout').expect(401);
    expect(res.body.code).toBe('unauthorized');
  });

  it('gives credentialed CORS only to CORS_ORIGINS', async () => {
    const allowed = await t
      .http()
      .options('/api/v1/auth/refresh')
      .set('Origin', 'http://app.test')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'x-csrf-token,content-type');
    expect(allowed.headers['access-control-allow-origin']).toBe('http://app.test');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    expect(String(allowed.headers['access-control-allow-headers']).toLowerCase()).toContain('x-csrf-token');
    const foreign = await t.http().options('/api/v1/auth/refresh').set('Origin', 'https://evil.example').set('Access-Control-Request-Method', 'POST');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    expect(foreign.headers['access-control-allow-credentials']).toBeUndefined();
    // said plainly: 403 naming CORS, not a 404 that reads like a wrong URL
    expect(foreign.status).toBe(403);
    expect(foreign.headers['content-type']).toContain('application/problem+json');
    expect(foreign.body).toMatchObject({ code: 'forbidden', status: 403 });
    expect(foreign.body.detail).toContain('CORS_ORIGINS');
  });

  it('allows the W3C trace-context headers by default, and the headers CORS_ALLOWED_HEADERS adds', async () => {
    const preflight = (app: TestApp) =>
      app
        .http()
        .options('/api/v1/auth/me')
        .set('Origin', 'http://app.test')
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization,traceparent');
    const allowed = String((await preflight(t).expect(204)).headers['access-control-allow-headers'])
      .toLowerCase()
      .split(',');
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'traceparent', 'tracestate', 'baggage']));
    expect(allowed).not.toContain('x-tenant-id');

    const extended = await startTestApp({ CORS_ORIGINS: 'http://app.test', CORS_ALLOWED_HEADERS: 'X-Tenant-Id' });
    try {
      const headers = String((await preflight(extended).expect(204)).headers['access-control-allow-headers'])
        .toLowerCase()
        .split(',');
      expect(headers).toEqual(expect.arrayContaining(['x-tenant-id', 'traceparent', 'x-csrf-token']));
    } finally {
      await extended.close();
    }
  });
});

describe('Cookie mode: Secure attribute', () => {
  it.each([
    ['https PUBLIC_URL in test', { PUBLIC_URL: 'https://id.example.com' }],
    ['production, even over http', { NODE_ENV: 'production', PUBLIC_URL: 'http://id.example.com' }],
  ])('marks the cookies Secure: %s', async (_name, env) => {
    const t = await startTestApp(env);
    try {
      const user = await register(t);
      const res = await t.http().post('/api/v1/auth/login').set('X-Auth-Mode', 'cookie').send({ email: user.email, password: user.password }).expect(200);
      const jar = cookies(res);
      expect(jar.refresh_token.attrs.secure).toBe(true);
      expect(jar.csrf_token.attrs.secure).toBe(true);
    } finally {
      await t.close();
    }
  });
});
