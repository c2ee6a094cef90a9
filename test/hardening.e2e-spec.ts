import { createHash } from 'node:crypto';
import * as argon2 from 'argon2';
import { PasswordHasher } from '@app/auth';
import { UnitOfWork } from '@app/database';
import { OneTimeTokensRepository } from '@app/users';
import { bearer, forge, login, makeAdmin, PASSWORD, register, registerAndLogin, uniqueEmail } from './support/auth';
import { FakePwnedPasswords } from './support/fake-pwned';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Hardening (issue 15): forged-token claims, request shapes, throttle buckets for IPv6,
 * session-bound CSRF tokens, the docs switch and the NIST SP 800-63B password policy. Each test
 * here failed on the code before its change. (JWT_SECRET strength: libs/config load-config.spec.)
 */
let t: TestApp;
const pwned = new FakePwnedPasswords();

beforeAll(async () => {
  await pwned.start();
  t = await startTestApp({ PWNED_PASSWORDS_URL: pwned.url });
});
afterAll(async () => {
  await t?.close();
  await pwned.stop();
});

describe('forged token claims', () => {
  it('a correctly signed token without exp is token_invalid', async () => {
    const me = await registerAndLogin(t);
    const token = forge(t, { sub: me.id, sid: me.tokens.session_id, role: 'user', exp: undefined });
    const res = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(token));
    expect([res.status, res.body.code]).toEqual([401, 'token_invalid']);
  });

  it.each(['iat', 'nbf'])('%s more than 60 s in the future is token_invalid; 30 s is clock skew', async (claim) => {
    const me = await registerAndLogin(t);
    const now = Math.floor(Date.now() / 1000);
    const far = forge(t, { sub: me.id, sid: me.tokens.session_id, role: 'user', [claim]: now + 120 });
    const res = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(far));
    expect([res.status, res.body.code]).toEqual([401, 'token_invalid']);
    const near = forge(t, { sub: me.id, sid: me.tokens.session_id, role: 'user', [claim]: now + 30 });
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(near))
      .expect(200);
  });
});

describe('request shapes', () => {
  it.each([
    ['application/x-www-form-urlencoded', 'email=a%40example.com&password=x'],
    ['text/plain', '{"email":"a@example.com","password":"x"}'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na\r\n--x--'],
  ])('a %s body on a JSON route is 415 unsupported_media_type', async (type, body) => {
    const res = await t.http().post('/api/v1/auth/login').set('Content-Type', type).send(body);
    expect([res.status, res.body.code]).toEqual([415, 'unsupported_media_type']);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('application/json with a charset and application/*+json are JSON', async () => {
    const user = await register(t);
    const body = JSON.stringify({ email: user.email, password: PASSWORD });
    await t.http().post('/api/v1/auth/login').set('Content-Type', 'application/json; charset=utf-8').send(body).expect(200);
    await t.http().post('/api/v1/auth/login').set('Content-Type', 'application/vnd.identity+json').send(body).expect(200);
  });

  it.each([
    '{"email":"a@example.com","password":"x","__proto__":{"role":"admin"}}',
    '{"email":"a@example.com","password":"x","constructor":{"prototype":{"role":"admin"}}}',
    '{"refresh_token":"x","prototype":1}',
  ])('%s is 400 validation_failed', async (body) => {
    const res = await t.http().post('/api/v1/auth/login').set('Content-Type', 'application/json').send(body);
    expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
  });
});

describe('CSRF token bound to the session (cookie mode)', () => {
  async function cookieLogin() {
    const user = await register(t);
    const res = await t.http().post('/api/v1/auth/login').set('X-Auth-Mode', 'cookie').send({ email: user.email, password: user.password }).expect(200);
    const jar = Object.fromEntries(((res.headers['set-cookie'] as unknown as string[]) ?? []).map((c) => c.split(';')[0].split('=') as [string, string]));
    return { jar, header: res.headers['x-csrf-token'] as string };
  }

  it('a csrf_token planted from a sibling subdomain (double submit of a value it chose) is refused', async () => {
    const { jar } = await cookieLogin();
    const planted = 'attacker-chosen-value';
    const res = await t
      .http()
      .post('/api/v1/auth/refresh')
      .set('Cookie', `refresh_token=${jar.refresh_token}; csrf_token=${planted}`)
      .set('X-CSRF-Token', planted)
      .send({});
    expect([res.status, res.body.code]).toEqual([403, 'csrf_failed']);
  });

  it("another session's valid CSRF token does not pass for this session", async () => {
    const mine = await cookieLogin();
    const theirs = await cookieLogin();
    const res = await t
      .http()
      .post('/api/v1/auth/refresh')
      .set('Cookie', `refresh_token=${mine.jar.refresh_token}; csrf_token=${theirs.jar.csrf_token}`)
      .set('X-CSRF-Token', theirs.jar.csrf_token)
      .send({});
    expect([res.status, res.body.code]).toEqual([403, 'csrf_failed']);
    // its own still works
    await t
      .http()
      .post('/api/v1/auth/refresh')
      .set('Cookie', `refresh_token=${mine.jar.refresh_token}; csrf_token=${mine.jar.csrf_token}`)
      .set('X-CSRF-Token', mine.header)
      .send({})
      .expect(200);
  });
});

describe('password policy (NIST SP 800-63B)', () => {
  const reg = (password: string, email = uniqueEmail(), name?: string) =>
    t
      .http()
      .post('/api/v1/auth/register')
      .send(name ? { email, password, name } : { email, password });

  it('a long passphrase without character classes is accepted', async () => {
    await reg('correct horse battery staple').expect(201);
  });

  it.each(['Password123!', 'Qwerty123!', 'Welcome2024!'])("%s is refused with the estimator's warning", async (password) => {
    const res = await reg(password).expect(400);
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'password', message: expect.stringMatching(/common|guess/i) })]);
  });

  it("the email's local part with a year is refused (the email and name are the estimator's user inputs)", async () => {
    const local = `marguerite${Date.now().toString(36)}`;
    const res = await reg(`${local}2024!`, `${local}@example.com`).expect(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it('length is 8–128 code points after NFKC; any Unicode is allowed and compared after NFKC', async () => {
    await reg('Ω≈ç√∫˜µ').expect(400);
    await reg('x'.repeat(129)).expect(400);
    const email = uniqueEmail('unicode');
    const fullwidth = 'ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ ｓｔａｐｌｅ ７';
    await reg(fullwidth, email).expect(201);
    await login(t, email, 'correct horse battery staple 7');
    await login(t, email, fullwidth);
  });

  it('a password in a known breach is refused; only the first five hex digits of its SHA-1 leave the server', async () => {
    const password = 'unusual breached passphrase 93';
    pwned.breach(password);
    const before = pwned.requests.length;
    const res = await reg(password).expect(400);
    expect(res.body.errors).toEqual([{ field: 'password', message: expect.stringMatching(/known data breach/) }]);
    const sha1 = createHash('sha1').update(password).digest('hex').toUpperCase();
    expect(pwned.requests.slice(before)).toEqual([`/range/${sha1.slice(0, 5)}`]);
  });

  it('an unreachable or slow breach service is skipped (sign-up goes on), logged and counted', async () => {
    pwned.delayMs = 2500;
    try {
      const res = await reg('another unusual passphrase 17');
      expect(res.status).toBe(201);
    } finally {
      pwned.delayMs = 0;
    }
    const admin = await makeAdmin(t);
    const text = (
      await t
        .http()
        .get('/metrics')
        .set(...bearer(admin.tokens.access_token))
        .expect(200)
    ).text;
    expect(text).toMatch(/identity_pwned_checks_total\{outcome="skipped"\} [1-9]/);
  });

  it('applies to password change and reset too, not to login', async () => {
    const me = await registerAndLogin(t);
    const res = await t
      .http()
      .post('/api/v1/auth/password/change')
      .set(...bearer(me.tokens.access_token))
      .send({ current_password: PASSWORD, new_password: 'Password123!' });
    expect([res.status, res.body.code]).toEqual([400, 'validation_failed']);
    const token = await t.app.get(UnitOfWork).run((tx) => t.app.get(OneTimeTokensRepository).issue(tx, me.id, 'reset_password', 3600));
    const reset = await t
      .http()
      .post('/api/v1/auth/password-reset/complete')
      .send({ token, password: `${me.email.split('@')[0]}2024!` });
    expect([reset.status, reset.body.code]).toEqual([400, 'validation_failed']);
    // the refused password did not spend the link
    await t.http().post('/api/v1/auth/password-reset/complete').send({ token, password: 'a perfectly fine passphrase' }).expect(204);
    // an existing weak password still signs in: the policy is not applied at login
    const weak = await t.app.get(PasswordHasher).hash('Password123!');
    await t.sql(`UPDATE users SET password_hash = $2 WHERE id = $1`, [me.id, weak]);
    await login(t, me.email, 'Password123!');
    // and one hashed before passwords were normalised (NFKC) still signs in, then is rehashed
    const typed = 'ｗｅａｋ ｏｎｅ';
    const legacy = await argon2.hash(typed);
    await t.sql(`UPDATE users SET password_hash = $2 WHERE id = $1`, [me.id, legacy]);
    await login(t, me.email, typed);
    const [row] = await t.sql<{ password_hash: string }>(`SELECT password_hash FROM users WHERE id = $1`, [me.id]);
    expect(row.password_hash).not.toBe(legacy);
    await login(t, me.email, 'weak one');
  });
});

/**
 * Last: these start apps of their own, and passport keeps one global 'jwt' strategy, which the
 * newest app replaces (bearer calls to the suite's app after one of them closed would fail).
 */
describe('settings that need an app of their own', () => {
  it('IPv6 clients are throttled per /64: one client owns the whole /64', async () => {
    const proxied = await startTestApp({ TRUST_PROXY: 'loopback', THROTTLE_LOGIN_LIMIT: '3' });
    try {
      const attempt = (ip: string) =>
        proxied.http().post('/api/v1/auth/login').set('X-Forwarded-For', ip).send({ email: uniqueEmail(), password: 'whatever-pw' });
      for (const ip of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:aaaa:bbbb:cccc:dddd']) expect((await attempt(ip)).status).toBe(401);
      expect((await attempt('2001:db8:1:2:ffff::9')).status).toBe(429);
      expect((await attempt('2001:db8:1:3::1')).status).toBe(401);
    } finally {
      await proxied.close();
    }
  });

  it('/docs and /docs-json are off in production unless DOCS_ENABLED=true', async () => {
    const prod = await startTestApp({ NODE_ENV: 'production' });
    const prodDocs = await startTestApp({ NODE_ENV: 'production', DOCS_ENABLED: 'true' });
    try {
      await prod.http().get('/docs-json').expect(404);
      await prod.http().get('/docs').expect(404);
      expect((await prodDocs.http().get('/docs-json').expect(200)).body.openapi).toMatch(/^3\./);
      await t.http().get('/docs-json').expect(200);
    } finally {
      await prod.close();
      await prodDocs.close();
    }
  });

  it('PASSWORD_REQUIRE_CHARACTER_CLASSES=true restores the character-class rule', async () => {
    const strict = await startTestApp({ PASSWORD_REQUIRE_CHARACTER_CLASSES: 'true' });
    try {
      const res = await strict.http().post('/api/v1/auth/register').send({ email: uniqueEmail(), password: 'correct horse battery staple' }).expect(400);
      expect(res.body.errors.map((e: { message: string }) => e.message)).toEqual(expect.arrayContaining(['must contain an upper-case letter']));
    } finally {
      await strict.close();
    }
  });
});
