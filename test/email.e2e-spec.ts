import { OutboxDeliveryService } from '@app/email';
import { PASSWORD, bearer, login, register, registerAndLogin, uniqueEmail } from './support/auth';
import { FakeResend } from './support/fake-resend';
import { startTestApp, TestApp } from './support/test-app';

const deliver = (t: TestApp) => t.app.get(OutboxDeliveryService).runOnce();
const pathOf = (link: string) => {
  const u = new URL(link);
  return `${u.pathname}${u.search}`;
};
const tokenOf = (link: string) => new URL(link).searchParams.get('token')!;

/** A person following the mailed link: the page (which changes nothing), then its button (a form POST). */
async function followVerificationLink(t: TestApp, link: string) {
  const page = await t.http().get(pathOf(link)).expect(200);
  expect(page.text).toContain('<form method="post" action="verify-email">');
  return t
    .http()
    .post('/api/v1/auth/verify-email')
    .type('form')
    .send({ token: tokenOf(link) })
    .expect(302);
}

describe('Email verification and password reset (fake Resend)', () => {
  const resend = new FakeResend();
  let t: TestApp;
  beforeAll(async () => {
    await resend.start();
    t = await startTestApp({ RESEND_API_KEY: 're_test_key', RESEND_BASE_URL: resend.url, EMAIL_FROM: 'Identity <id@example.com>' });
  });
  afterAll(async () => {
    await t.close();
    await resend.stop();
  });

  it('mails a verification link on register; following it verifies the user and redirects', async () => {
    const user = await register(t);
    const [row] = await t.sql<{ id: string; status: string }>(`SELECT id, status FROM email_outbox WHERE recipient = $1`, [user.email]);
    expect(row.status).toBe('pending');
    await deliver(t);
    const [mail] = resend.mailsTo(user.email);
    expect(mail).toMatchObject({
      idempotencyKey: row.id,
      authorization: 'Bearer re_test_key',
      from: 'Identity <id@example.com>',
      subject: 'Confirm your email address',
    });
    expect(mail.html).toContain('<a href="http://api.test/api/v1/auth/verify-email?token=');
    const link = resend.lastLink(user.email);
    expect(link).toMatch(/^http:\/\/api\.test\/api\/v1\/auth\/verify-email\?token=[A-Za-z0-9_-]{43}$/);

    const follow = await followVerificationLink(t, link);
    expect(follow.headers.location).toBe('http://app.test/verify-email?status=success');
    const tokens = await login(t, user.email);
    expect(tokens.user).toMatchObject({ email_verified: true });
    const again = await followVerificationLink(t, link);
    expect(again.headers.location).toBe('http://app.test/verify-email?status=error');
    const [stored] = await t.sql<{ status: string; payload: object }>(`SELECT status, payload FROM email_outbox WHERE id = $1`, [row.id]);
    expect(stored).toEqual({ status: 'sent', payload: {} });
    const events = await t.sql<{ event: string }>(`SELECT event FROM audit_events WHERE target_user_id = $1 ORDER BY created_at`, [user.id]);
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['user.registered', 'email.verification_sent', 'email.verified']));
  });

  it('verifies by POST once; reuse and garbage tokens are 400 invalid_token', async () => {
    const user = await register(t);
    await deliver(t);
    const token = tokenOf(resend.lastLink(user.email));
    const ok = await t.http().post('/api/v1/auth/verify-email').send({ token }).expect(200);
    expect(ok.body).toMatchObject({ id: user.id, email_verified: true });
    const reuse = await t.http().post('/api/v1/auth/verify-email').send({ token }).expect(400);
    expect(reuse.body.code).toBe('invalid_token');
    const garbage = await t.http().post('/api/v1/auth/verify-email').send({ token: 'garbage' }).expect(400);
    expect(garbage.body.code).toBe('invalid_token');
    await t.http().post('/api/v1/auth/verify-email').send({}).expect(400);
    const redirect = await t.http().post('/api/v1/auth/verify-email').type('form').send({ token: 'nope' }).expect(302);
    expect(redirect.headers.location).toBe('http://app.test/verify-email?status=error');
    const noToken = await t.http().get('/api/v1/auth/verify-email').expect(302);
    expect(noToken.headers.location).toBe('http://app.test/verify-email?status=error');
  });

  it('resend answers 202 for everyone, mails only unverified accounts, and invalidates the older link', async () => {
    const user = await register(t);
    await deliver(t);
    const first = tokenOf(resend.lastLink(user.email));
    const unknown = uniqueEmail('nobody');
    const a = await t.http().post('/api/v1/auth/verify-email/resend').send({ email: unknown }).expect(202);
    const b = await t.http().post('/api/v1/auth/verify-email/resend').send({ email: user.email }).expect(202);
    expect(a.body).toEqual(b.body);
    await deliver(t);
    expect(resend.mailsTo(unknown)).toHaveLength(0);
    expect(resend.mailsTo(user.email)).toHaveLength(2);
    const second = tokenOf(resend.lastLink(user.email));
    expect((await t.http().post('/api/v1/auth/verify-email').send({ token: first })).body.code).toBe('invalid_token');
    await t.http().post('/api/v1/auth/verify-email').send({ token: second }).expect(200);
    await t.http().post('/api/v1/auth/verify-email/resend').send({ email: user.email }).expect(202);
    await deliver(t);
    expect(resend.mailsTo(user.email)).toHaveLength(2);
  });

  it('password reset: same answer for known and unknown emails; the link completes once and kills every session', async () => {
    const user = await registerAndLogin(t);
    const other = await login(t, user.email);
    const unknown = uniqueEmail('nobody');
    const known = await t.http().post('/api/v1/auth/password-reset').send({ email: user.email }).expect(202);
    const notKnown = await t.http().post('/api/v1/auth/password-reset').send({ email: unknown }).expect(202);
    expect(known.body).toEqual(notKnown.body);
    expect(known.text).toBe(notKnown.text);
    await deliver(t);
    expect(resend.mailsTo(unknown)).toHaveLength(0);
    const link = resend.lastLink(user.email, 'Reset your password');
    expect(link).toMatch(/^http:\/\/app\.test\/reset-password\?token=/);
    const token = tokenOf(link);

    const weak = await t.http().post('/api/v1/auth/password-reset/complete').send({ token, password: 'weak' }).expect(400);
    expect(weak.body.code).toBe('validation_failed');
    await t.http().post('/api/v1/auth/password-reset/complete').send({ token, password: 'Reset-Pass-42' }).expect(204);
    for (const s of [user.tokens, other]) {
      expect(
        (
          await t
            .http()
            .get('/api/v1/auth/me')
            .set(...bearer(s.access_token))
        ).body.code,
      ).toBe('token_revoked');
      await t.http().post('/api/v1/auth/refresh').send({ refresh_token: s.refresh_token }).expect(401);
    }
    await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
    await login(t, user.email, 'Reset-Pass-42');
    const reuse = await t.http().post('/api/v1/auth/password-reset/complete').send({ token, password: 'Another-Pass-42' }).expect(400);
    expect(reuse.body.code).toBe('invalid_token');
    await deliver(t);
    expect(resend.mailsTo(user.email).map((m) => m.subject)).toContain('Your password was changed');
  });

  it('a new reset link invalidates the older unused one', async () => {
    const user = await register(t);
    await t.http().post('/api/v1/auth/password-reset').send({ email: user.email }).expect(202);
    await deliver(t);
    const first = tokenOf(resend.lastLink(user.email, 'Reset your password'));
    await t.http().post('/api/v1/auth/password-reset').send({ email: user.email }).expect(202);
    await deliver(t);
    const second = tokenOf(resend.lastLink(user.email, 'Reset your password'));
    expect(second).not.toBe(first);
    const old = await t.http().post('/api/v1/auth/password-reset/complete').send({ token: first, password: 'Reset-Pass-42' }).expect(400);
    expect(old.body.code).toBe('invalid_token');
    await t.http().post('/api/v1/auth/password-reset/complete').send({ token: second, password: 'Reset-Pass-42' }).expect(204);
  });

  it('a password change sends the notice mail', async () => {
    const user = await registerAndLogin(t);
    await t
      .http()
      .post('/api/v1/auth/password/change')
      .set(...bearer(user.tokens.access_token))
      .send({ current_password: PASSWORD, new_password: 'Changed-Pass-7' })
      .expect(204);
    await deliver(t);
    const notice = resend.mailsTo(user.email).find((m) => m.subject === 'Your password was changed');
    expect(notice?.text).toContain('Your other sessions were signed out');
  });
});

describe('Email outbox under Resend failures', () => {
  const resend = new FakeResend();
  beforeAll(() => resend.start());
  afterAll(() => resend.stop());

  it('accepts registrations while Resend is down and delivers every mail exactly once after it recovers', async () => {
    // a base long enough that one delivery pass never sees its own retries come due again
    const t = await startTestApp({ RESEND_API_KEY: 're_test_key', RESEND_BASE_URL: resend.url, EMAIL_RETRY_BASE_MS: '400' });
    try {
      resend.failWith(500);
      const users = await Promise.all(Array.from({ length: 6 }, () => register(t)));
      await deliver(t);
      expect(resend.delivered).toHaveLength(0);
      expect(resend.requests.length).toBe(6);
      await new Promise((r) => setTimeout(r, 600));
      await deliver(t);
      resend.succeed();
      for (let i = 0; i < 30; i++) {
        await new Promise((r) => setTimeout(r, 300));
        await deliver(t);
        const [{ pending }] = await t.sql<{ pending: number }>(`SELECT count(*)::int AS pending FROM email_outbox WHERE status <> 'sent'`);
        if (pending === 0) break;
      }
      for (const u of users) expect(resend.mailsTo(u.email)).toHaveLength(1);
      const rows = await t.sql<{ status: string; attempts: number }>(`SELECT status, attempts FROM email_outbox`);
      expect(rows.every((r) => r.status === 'sent' && r.attempts >= 2)).toBe(true);
    } finally {
      resend.succeed();
      await t.close();
    }
  });

  it('fails a refused message alone (no retry) while the others go out', async () => {
    const t = await startTestApp({ RESEND_API_KEY: 're_test_key', RESEND_BASE_URL: resend.url, EMAIL_RETRY_BASE_MS: '30' });
    try {
      const bad = uniqueEmail('bounce');
      resend.reject(bad, 422);
      await register(t, bad);
      const good = await register(t);
      await deliver(t);
      expect(resend.mailsTo(good.email)).toHaveLength(1);
      const [row] = await t.sql<{ status: string; attempts: number; last_error: string; payload: object }>(
        `SELECT status, attempts, last_error, payload FROM email_outbox WHERE recipient = $1`,
        [bad],
      );
      expect(row).toMatchObject({ status: 'failed', attempts: 1, payload: {} });
      expect(row.last_error).toContain('422');
    } finally {
      await t.close();
    }
  });

  it('two delivery workers running at once never send one message twice', async () => {
    const a = await startTestApp({ RESEND_API_KEY: 're_test_key', RESEND_BASE_URL: resend.url });
    const b = await startTestApp({ RESEND_API_KEY: 're_test_key', RESEND_BASE_URL: resend.url }, { db: a.db, keyPrefix: a.keyPrefix });
    try {
      const before = resend.requests.length;
      const users = await Promise.all(Array.from({ length: 40 }, () => register(a)));
      await Promise.all([deliver(a), deliver(b), deliver(a), deliver(b)]);
      expect(resend.requests.length - before).toBe(40);
      for (const u of users) expect(resend.mailsTo(u.email)).toHaveLength(1);
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('delivers on its own when the job runs inside the API', async () => {
    const t = await startTestApp({ RESEND_API_KEY: 're_test_key', RESEND_BASE_URL: resend.url, EMAIL_DELIVERY_IN_API: 'true', EMAIL_POLL_INTERVAL_MS: '50' });
    try {
      const user = await register(t);
      for (let i = 0; i < 100 && resend.mailsTo(user.email).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(resend.mailsTo(user.email)).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('with REQUIRE_EMAIL_VERIFICATION the mailed link is what opens the door', async () => {
    const t = await startTestApp({ RESEND_API_KEY: 're_test_key', RESEND_BASE_URL: resend.url, REQUIRE_EMAIL_VERIFICATION: 'true' });
    try {
      const user = await register(t);
      expect((await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD })).body.code).toBe('email_not_verified');
      await deliver(t);
      await followVerificationLink(t, resend.lastLink(user.email));
      await login(t, user.email);
    } finally {
      await t.close();
    }
  });
});
