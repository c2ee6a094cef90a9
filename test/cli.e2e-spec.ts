import { bearer, login, PASSWORD, register, registerAndLogin, uniqueEmail } from './support/auth';
import { baseTestEnv, TEST_REDIS_URL } from './support/env';
import { cliCommand, type Finished, runToExit, stopAll } from './support/processes';
import { startTestApp, TestApp } from './support/test-app';
import { enrolTotp } from './support/totp';

/**
 * The operator CLI (apps/cli) in its own process, against the database and Redis prefix of a
 * running API (the real AppModule, in this process): what the CLI changes, the API honours at
 * once, and the audit trail says it was the CLI.
 */

const CLI_TIMEOUT_MS = 60_000;
/** A stack frame in the output. */
const STACK_FRAME = /\s{4}at \S/;

interface AuditRow {
  event: string;
  actor_id: string | null;
  target_user_id: string | null;
  user_agent: string | null;
  metadata: Record<string, unknown>;
}

describe('Operator CLI', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await stopAll();
    await t?.close();
  });

  /** `npm run cli -- ...args` as the API is configured (its database, Redis prefix and secret). */
  const cli = (args: string[], extra: { input?: string; env?: Record<string, string> } = {}): Promise<Finished> =>
    runToExit(cliCommand(...args), {
      env: { ...baseTestEnv(), DATABASE_URL: t.db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: t.keyPrefix, ...extra.env },
      input: extra.input,
      timeoutMs: CLI_TIMEOUT_MS,
    });

  const auditOf = (userId: string, event: string) =>
    t.sql<AuditRow>(`SELECT event, actor_id, target_user_id, user_agent, metadata FROM audit_events WHERE target_user_id = $1 AND event = $2`, [userId, event]);

  describe('usage', () => {
    it('help lists every command and exits 0', async () => {
      const res = await cli(['help']);
      expect(res.code).toBe(0);
      for (const name of ['create-admin', 'set-role', 'disable', 'enable', 'revoke-sessions', 'reset-link', 'reset-mfa', 'rotate-keys'])
        expect(res.stdout).toContain(`  ${name} `);
      expect(res.stdout).toContain('Exit codes: 0 done, 1 failed (the reason is printed), 2 wrong usage.');
    });

    it.each([
      [[], /error: no command given/],
      [['frobnicate'], /error: unknown command: frobnicate/],
      [['disable'], /error: usage: npm run cli -- disable <user>/],
      [['set-role', 'a@example.com', 'root'], /error: <role> must be one of admin, user, guest: root/],
      [['create-admin', 'admin@localhost', '--password-stdin'], /error: <email> must be a valid email address: admin@localhost/],
      [['create-admin', 'ops@example.com', '--password', 'hunter2'], /error: create-admin: Unknown option '--password'/],
      [['create-admin', 'ops@example.com'], /error: no password: pipe it in with --password-stdin, set CLI_PASSWORD, or run the command in a terminal/],
    ])('%j exits 2 with the reason and where to read the usage', async (args, message) => {
      const res = await cli(args);
      expect([res.code, res.stdout]).toEqual([2, '']);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).toContain('Run "npm run cli -- help"');
    });
  });

  it('create-admin: the admin signs in over HTTP with that password, verified; audited with actor cli', async () => {
    const email = uniqueEmail('ops');
    const res = await cli(['create-admin', email, '--name', 'Ops', '--password-stdin'], { input: 'Ops-Correct-Horse-7\n' });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`^Created admin ${email.replace('.', '\\.')} \\(id [0-9a-f-]{36}\\)\\.\n$`));

    const tokens = await login(t, email, 'Ops-Correct-Horse-7');
    expect(tokens.user).toMatchObject({ email, role: 'admin', email_verified: true });
    await t
      .http()
      .get('/api/v1/admin/users?limit=1')
      .set(...bearer(tokens.access_token))
      .expect(200);
    expect(await auditOf(tokens.user.id, 'user.registered')).toEqual([
      {
        event: 'user.registered',
        actor_id: null,
        target_user_id: tokens.user.id,
        user_agent: expect.stringMatching(/^identity-cli\/\d+\.\d+\.\d+ \(/),
        metadata: { actor: 'cli', method: 'password', role: 'admin' },
      },
    ]);

    // the same address again: refused, with the way out
    const again = await cli(['create-admin', email], { env: { CLI_PASSWORD: 'Another-Horse-8' } });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('error: An account with this email already exists');
    expect(again.stderr).toContain(`hint: to make that account an admin: npm run cli -- set-role <email> admin`);
  });

  it('create-admin refuses a password the policy refuses, saying why', async () => {
    const res = await cli(['create-admin', uniqueEmail('weak')], { env: { CLI_PASSWORD: 'short' } });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^error: The password does not meet the policy\n {2}password: .*8/);
    expect(res.stderr).not.toMatch(STACK_FRAME);
  });

  it("disable: the running API refuses the user's existing access token at once; audited with actor cli", async () => {
    const user = await registerAndLogin(t);
    // the API has the session and the user in its access-state cache (Redis)
    await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(user.tokens.access_token))
      .expect(200);

    const res = await cli(['disable', user.email]);
    expect([res.code, res.stdout]).toEqual([0, `Disabled ${user.email}: its sessions are revoked and its access tokens refused.\n`]);

    const me = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(user.tokens.access_token))
      .expect(401);
    expect(me.body.code).toBe('token_revoked');
    await t.http().post('/api/v1/auth/refresh').send({ refresh_token: user.tokens.refresh_token }).expect(401);
    const signIn = await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(403);
    expect(signIn.body.code).toBe('account_disabled');

    expect(await auditOf(user.id, 'admin.user_updated')).toEqual([
      expect.objectContaining({
        actor_id: null,
        metadata: expect.objectContaining({ actor: 'cli', changes: { is_active: { from: true, to: false } }, revoked_sessions: 1 }),
      }),
    ]);
    expect(await auditOf(user.id, 'admin.session_revoked')).toEqual([
      expect.objectContaining({ actor_id: null, metadata: expect.objectContaining({ actor: 'cli', reason: 'user_disabled' }) }),
    ]);

    // and back: enable lets the user sign in again
    expect((await cli(['enable', user.id])).stdout).toBe(`Enabled ${user.email}.\n`);
    await login(t, user.email);
  });

  it("set-role and revoke-sessions act on the running API's next request", async () => {
    const user = await registerAndLogin(t);
    const admin = (token: string) =>
      t
        .http()
        .get('/api/v1/admin/users?limit=1')
        .set(...bearer(token));
    await admin(user.tokens.access_token).expect(403);

    const promoted = await cli(['set-role', user.email, 'admin']);
    expect([promoted.code, promoted.stdout]).toEqual([0, `${user.email}: role user → admin.\n`]);
    await admin(user.tokens.access_token).expect(200);

    const revoked = await cli(['revoke-sessions', user.email]);
    expect([revoked.code, revoked.stdout]).toEqual([0, `Revoked 1 session of ${user.email}.\n`]);
    const me = await admin(user.tokens.access_token).expect(401);
    expect(me.body.code).toBe('token_revoked');
    expect(await auditOf(user.id, 'admin.session_revoked')).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ actor: 'cli', reason: 'admin_revoked' }) }),
    ]);
  });

  it('reset-mfa removes a lost TOTP and signs the user out everywhere; the password alone signs in again', async () => {
    const user = await registerAndLogin(t);
    await enrolTotp(t, user.tokens.access_token);
    expect((await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD })).body.mfa_required).toBe(true);

    const res = await cli(['reset-mfa', user.email]);
    expect([res.code, res.stdout]).toEqual([0, `Removed TOTP of ${user.email}; revoked 1 session.\n`]);
    const old = await t
      .http()
      .get('/api/v1/auth/me')
      .set(...bearer(user.tokens.access_token));
    expect(old.body.code).toBe('token_revoked');
    expect((await login(t, user.email)).access_token).toBeDefined();
    expect(await auditOf(user.id, 'mfa.reset_by_admin')).toEqual([
      expect.objectContaining({ metadata: expect.objectContaining({ actor: 'cli', totp: true }) }),
    ]);
  });

  it('rotate-keys: the running API publishes and then signs with the new key (nodes follow within 30 s); audited with actor cli', async () => {
    const before = await t.sql<{ kid: string }>(`SELECT kid FROM signing_keys WHERE state = 'current'`);
    const res = await cli(['rotate-keys']);
    expect(res.code).toBe(0);
    const match = /^Rotated: ([A-Za-z0-9_-]{43}) \(ES256\) signs from now on\.\n$/.exec(res.stdout);
    expect(match).not.toBeNull();
    expect(match![1]).not.toBe(before[0].kid);
    // the API re-reads the keys when the JWKS is asked for (and every 30 s)
    const jwks = await t.http().get('/.well-known/jwks.json').expect(200);
    expect(jwks.body.keys.map((k: { kid: string }) => k.kid)).toContain(match![1]);
    const user = await registerAndLogin(t);
    expect(JSON.parse(Buffer.from(user.tokens.access_token.split('.')[0], 'base64url').toString()).kid).toBe(match![1]);
    const audit = await t.sql<{ metadata: Record<string, unknown> }>(`SELECT metadata FROM audit_events WHERE event = 'admin.signing_key_rotated'`);
    expect(audit).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ actor: 'cli', kid: match![1] }) })]);
  });

  it('reset-link: the printed link is the reset page; its token completes a reset over HTTP', async () => {
    const user = await register(t);
    const res = await cli(['reset-link', user.email]);
    expect(res.code).toBe(0);
    // the link alone on stdout, as in the reset mail (FRONTEND_URL's reset page)
    const match = /^http:\/\/app\.test\/reset-password\?token=([A-Za-z0-9_-]{20,})\n$/.exec(res.stdout);
    expect(match).not.toBeNull();
    expect(res.stderr).toMatch(new RegExp(`Reset link for ${user.email.replace('.', '\\.')}, single use, valid until \\d{4}-`));

    await t
      .http()
      .post('/api/v1/auth/password-reset/complete')
      .send({ token: decodeURIComponent(match![1]), password: 'Brand-New-Horse-9' })
      .expect(204);
    await login(t, user.email, 'Brand-New-Horse-9');
    await t.http().post('/api/v1/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
    expect(await auditOf(user.id, 'password.reset_requested')).toEqual([
      expect.objectContaining({ actor_id: null, metadata: expect.objectContaining({ actor: 'cli' }) }),
    ]);
  });

  it('an unknown user is a one-line error and exit code 1, no stack trace', async () => {
    const res = await cli(['reset-link', 'nobody@example.com']);
    expect([res.code, res.stdout, res.stderr]).toEqual([1, '', 'error: no user with email nobody@example.com\n']);
    const byId = await cli(['disable', '00000000-0000-4000-8000-000000000000']);
    expect([byId.code, byId.stderr]).toEqual([1, 'error: no user with id 00000000-0000-4000-8000-000000000000\n']);
    expect(byId.stderr).not.toMatch(STACK_FRAME);
  });
});
