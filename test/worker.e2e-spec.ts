import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PurgeService } from '@app/retention';
import { bearer, login, makeAdmin, register } from './support/auth';
import { TEST_REDIS_URL } from './support/env';
import { FakeResend } from './support/fake-resend';
import { ROOT, tsNode } from './support/processes';
import { startTestApp, TestApp } from './support/test-app';
import { verifyStandardWebhook, WebhookReceiver } from './support/webhook-receiver';

/**
 * Rows on both sides of every retention limit: `old` ones must go, `keep` ones must stay.
 * Returns the ids to check afterwards.
 */
async function seedRetentionCases(t: TestApp) {
  const user = await register(t);
  const session = async (sql: string) =>
    (
      await t.sql<{ id: string }>(
        `INSERT INTO sessions (user_id, auth_method, created_at, expires_at, revoked_at) VALUES ($1, 'password', ${sql}) RETURNING id`,
        [user.id],
      )
    )[0].id;
  const sessions = {
    expiredLongAgo: await session(`now() - interval '40 days', now() - interval '31 days', NULL`),
    revokedLongAgo: await session(`now() - interval '35 days', now() + interval '1 day', now() - interval '31 days'`),
    expiredRecently: await session(`now() - interval '30 days', now() - interval '29 days', NULL`),
    revokedRecently: await session(`now() - interval '2 days', now() + interval '1 day', now() - interval '2 days'`),
    live: await session(`now(), now() + interval '7 days', NULL`),
  };
  const token = async (sessionId: string, usedAgo: string | null, sealed: string | null) =>
    (
      await t.sql<{ id: string }>(
        `INSERT INTO refresh_tokens (session_id, token_hash, used_at, successor_sealed) VALUES ($1, $2, ${usedAgo ? `now() - interval '${usedAgo}'` : 'NULL'}, $3) RETURNING id`,
        [sessionId, randomUUID().replace(/-/g, '').padEnd(64, '0'), sealed],
      )
    )[0].id;
  const tokens = {
    ofPurgedSession: await token(sessions.expiredLongAgo, null, null),
    sealedOld: await token(sessions.live, '5 minutes', 'sealed-successor'),
    sealedFresh: await token(sessions.live, '1 second', 'sealed-successor'),
  };
  const ott = async (expires: string, used: string | null) =>
    (
      await t.sql<{ id: string }>(
        `INSERT INTO one_time_tokens (user_id, purpose, token_hash, expires_at, used_at) VALUES ($1, 'verify_email', $2, now() + interval '${expires}', ${used ? `now() - interval '${used}'` : 'NULL'}) RETURNING id`,
        [user.id, randomUUID().replace(/-/g, '').padEnd(64, '0')],
      )
    )[0].id;
  const oneTime = {
    expiredOld: await ott('-2 days', null),
    usedOld: await ott('1 day', '25 hours'),
    usedRecently: await ott('1 day', '1 hour'),
    valid: await ott('1 day', null),
  };
  await t.sql(
    `INSERT INTO login_attempts (email_key, attempts, window_started_at, locked_until, updated_at) VALUES
       ('stale@example.com', 2, now() - interval '3 hours', NULL, now() - interval '3 hours'),
       ('stale-unlocked@example.com', 5, now() - interval '3 hours', now() - interval '1 hour', now() - interval '3 hours'),
       ('still-locked@example.com', 5, now() - interval '3 hours', now() + interval '1 hour', now() - interval '3 hours'),
       ('recent@example.com', 1, now(), NULL, now())`,
  );
  const mail = async (status: string, created: string, sent: string | null) =>
    (
      await t.sql<{ id: string }>(
        `INSERT INTO email_outbox (recipient, template, payload, status, created_at, sent_at) VALUES ('old@example.com', 'verify_email', '{}', $1, now() - interval '${created}', ${sent ? `now() - interval '${sent}'` : 'NULL'}) RETURNING id`,
        [status],
      )
    )[0].id;
  const outbox = {
    sentOld: await mail('sent', '8 days', '8 days'),
    sentRecently: await mail('sent', '6 days', '6 days'),
    failedOld: await mail('failed', '31 days', null),
    failedRecently: await mail('failed', '2 days', null),
  };
  const delivery = async (status: string, created: string, delivered: string | null) =>
    (
      await t.sql<{ id: string }>(
        // not due: no delivery job takes the pending one (its endpoint does not exist) while the purge is checked
        `INSERT INTO webhook_deliveries (endpoint_id, event, payload, status, created_at, delivered_at, next_attempt_at)
         VALUES ($1, 'user.registered', '{}', $2, now() - interval '${created}', ${delivered ? `now() - interval '${delivered}'` : 'NULL'}, now() + interval '1 day') RETURNING id`,
        [randomUUID(), status],
      )
    )[0].id;
  const webhooks = {
    deliveredOld: await delivery('delivered', '8 days', '8 days'),
    deliveredRecently: await delivery('delivered', '8 days', '6 days'),
    failedOld: await delivery('failed', '31 days', null),
    failedRecently: await delivery('failed', '29 days', null),
    pendingOld: await delivery('pending', '40 days', null),
  };
  const audit = async (ago: string) =>
    (
      await t.sql<{ id: string }>(
        `INSERT INTO audit_events (event, outcome, target_user_id, created_at) VALUES ('auth.login', 'success', $1, now() - interval '${ago}') RETURNING id`,
        [user.id],
      )
    )[0].id;
  const auditEvents = { old: await audit('91 days'), recent: await audit('89 days') };
  return { user, sessions, tokens, oneTime, outbox, webhooks, auditEvents };
}

type Cases = Awaited<ReturnType<typeof seedRetentionCases>>;

async function expectPurged(t: TestApp, c: Cases, auditPurged: boolean): Promise<void> {
  const present = async (table: string, ids: string[]) =>
    (await t.sql<{ id: string }>(`SELECT id FROM ${table} WHERE id = ANY($1::uuid[])`, [ids])).map((r) => r.id).sort();
  expect(await present('sessions', Object.values(c.sessions))).toEqual([c.sessions.expiredRecently, c.sessions.revokedRecently, c.sessions.live].sort());
  expect(await present('refresh_tokens', Object.values(c.tokens))).toEqual([c.tokens.sealedOld, c.tokens.sealedFresh].sort());
  const sealed = await t.sql<{ id: string; successor_sealed: string | null }>(`SELECT id, successor_sealed FROM refresh_tokens WHERE id = ANY($1::uuid[])`, [
    [c.tokens.sealedOld, c.tokens.sealedFresh],
  ]);
  expect(Object.fromEntries(sealed.map((r) => [r.id, r.successor_sealed]))).toEqual({
    [c.tokens.sealedOld]: null,
    [c.tokens.sealedFresh]: 'sealed-successor',
  });
  expect(await present('one_time_tokens', Object.values(c.oneTime))).toEqual([c.oneTime.usedRecently, c.oneTime.valid].sort());
  const attempts = await t.sql<{ email_key: string }>(`SELECT email_key FROM login_attempts ORDER BY email_key`);
  expect(attempts.map((r) => r.email_key)).toEqual(expect.arrayContaining(['recent@example.com', 'still-locked@example.com']));
  expect(attempts.map((r) => r.email_key)).not.toEqual(expect.arrayContaining(['stale@example.com']));
  expect(attempts.map((r) => r.email_key)).not.toEqual(expect.arrayContaining(['stale-unlocked@example.com']));
  expect(await present('email_outbox', Object.values(c.outbox))).toEqual([c.outbox.sentRecently, c.outbox.failedRecently].sort());
  expect(await present('webhook_deliveries', Object.values(c.webhooks))).toEqual(
    [c.webhooks.deliveredRecently, c.webhooks.failedRecently, c.webhooks.pendingOld].sort(),
  );
  expect(await present('audit_events', Object.values(c.auditEvents))).toEqual(
    auditPurged ? [c.auditEvents.recent] : [c.auditEvents.old, c.auditEvents.recent].sort(),
  );
}

describe('Purge job (in the API process)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('deletes what outlived its use and keeps the rest; audit events are kept without AUDIT_RETENTION_DAYS', async () => {
    const cases = await seedRetentionCases(t);
    const counts = await t.app.get(PurgeService).runOnce();
    expect(counts).toMatchObject({
      sessions_expired: 1,
      sessions_revoked: 1,
      sealed_successors: 1,
      one_time_tokens_expired: 1,
      one_time_tokens_used: 1,
      login_attempts: 2,
      outbox_sent: 1,
      outbox_failed: 1,
      webhooks_delivered: 1,
      webhooks_failed: 1,
    });
    expect(counts).not.toHaveProperty('audit_events');
    await expectPurged(t, cases, false);
    // a second run finds nothing more
    const again = await t.app.get(PurgeService).runOnce();
    expect(Object.values(again!).every((n) => n === 0)).toBe(true);
  });

  it('skips the run while another node holds the purge lock', async () => {
    const lockHolder = new Client({ connectionString: t.db.url });
    await lockHolder.connect();
    try {
      await lockHolder.query('SELECT pg_advisory_lock(724310902)');
      const user = await register(t);
      await t.sql(`INSERT INTO sessions (user_id, auth_method, expires_at) VALUES ($1, 'password', now() - interval '60 days')`, [user.id]);
      expect(await t.app.get(PurgeService).runOnce()).toBeNull();
      expect(await t.sql(`SELECT 1 FROM sessions WHERE user_id = $1`, [user.id])).toHaveLength(1);
      await lockHolder.query('SELECT pg_advisory_unlock(724310902)');
      expect((await t.app.get(PurgeService).runOnce())?.sessions_expired).toBe(1);
    } finally {
      await lockHolder.end();
    }
  });
});

describe('Worker process', () => {
  let t: TestApp;
  const resend = new FakeResend();
  const receiver = new WebhookReceiver();
  let worker: ChildProcessWithoutNullStreams | undefined;
  let output = '';
  beforeAll(async () => {
    await resend.start();
    await receiver.start();
    // WEBHOOKS_DELIVERY_IN_API is false for every test app (test/support/env.ts)
    t = await startTestApp({ EMAIL_DELIVERY_IN_API: 'false', WEBHOOKS_ALLOW_PRIVATE: 'true' });
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await t.close();
    await resend.stop();
    await receiver.stop();
  });

  it('delivers the outbox and webhooks and purges (AUDIT_RETENTION_DAYS set) against the real PostgreSQL, and stops on SIGTERM', async () => {
    const admin = await makeAdmin(t);
    const endpoint = await t
      .http()
      .post('/api/v1/admin/webhooks')
      .set(...bearer(admin.tokens.access_token))
      .send({ url: `${receiver.url}/worker`, events: ['user.registered'] })
      .expect(201);
    // the API only queues: delivery is off in this API process
    const user = await register(t);
    await login(t, user.email);
    const cases = await seedRetentionCases(t);
    expect(resend.mailsTo(user.email)).toHaveLength(0);
    expect(receiver.received).toHaveLength(0);

    const command = tsNode('apps/worker/src/main.ts');
    worker = spawn(process.execPath, command.args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        ...command.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATABASE_URL: t.db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: t.keyPrefix,
        JWT_SECRET: t.config.auth.jwtSecret,
        KEY_ENCRYPTION_SECRET: t.config.keys.encryptionSecret,
        RESEND_API_KEY: 're_test_key',
        RESEND_BASE_URL: resend.url,
        // the worker delivers whatever this says (it is meant for the API)
        EMAIL_DELIVERY_IN_API: 'false',
        EMAIL_POLL_INTERVAL_MS: '100',
        // likewise for webhooks: the worker delivers them whatever this says
        WEBHOOKS_DELIVERY_IN_API: 'false',
        WEBHOOKS_ALLOW_PRIVATE: 'true',
        WEBHOOKS_POLL_INTERVAL_MS: '100',
        AUDIT_RETENTION_DAYS: '90',
      },
    });
    worker.stdout.on('data', (d) => (output += d));
    worker.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => worker!.once('exit', (code) => resolve(code)));

    const deadline = Date.now() + 30_000;
    const hooksFor = (id: string) => receiver.received.filter((r) => JSON.parse(r.body).data.user.id === id);
    const done = () => resend.mailsTo(user.email).length > 0 && hooksFor(user.id).length > 0 && output.includes('Purged');
    while (!done() && Date.now() < deadline && worker.exitCode === null) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect({ exit: worker.exitCode, output: output.slice(-2000) }).toMatchObject({ exit: null });
    expect(resend.mailsTo(user.email)).toHaveLength(1);
    expect(resend.mailsTo(user.email)[0].subject).toMatch(/confirm your email/i);
    const [row] = await t.sql<{ status: string }>(`SELECT status FROM email_outbox WHERE recipient = $1`, [user.email]);
    expect(row.status).toBe('sent');
    expect(hooksFor(user.id)).toHaveLength(1);
    const [hook] = hooksFor(user.id);
    expect(JSON.parse(hook.body)).toMatchObject({ type: 'user.registered', data: { user: { id: user.id } } });
    expect(verifyStandardWebhook(endpoint.body.secret, hook.headers, hook.body)).toBe(true);
    expect(output).toContain('Purged');
    await expectPurged(t, cases, true);

    worker.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([exited, new Promise((r) => (timer = setTimeout(() => r('timeout'), 10_000)))]);
    clearTimeout(timer);
    expect(outcome).not.toBe('timeout');
  });
});
