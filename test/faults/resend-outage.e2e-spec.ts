import { FakeResend } from '../support/fake-resend';
import { Api } from '../support/http-client';
import { sleep, waitFor } from '../support/net';
import { RedisServer, startApi, stopAll } from '../support/processes';
import { createTestDatabase, note, PASSWORD, query, TestDatabase, uniqueEmail } from './support/scenario';

/**
 * Resend answers 500 for a while. Two API nodes deliver the outbox at the same time (both may, by
 * design); every mail accepted during the outage is delivered exactly once after it.
 */
describe('Fault: Resend down for a while', () => {
  const resend = new FakeResend();
  let redis: RedisServer;
  let db: TestDatabase;
  let nodes: Api[];

  beforeAll(async () => {
    [redis, db] = await Promise.all([RedisServer.start(), createTestDatabase(), resend.start()]);
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      RESEND_API_KEY: 're_fault_suite',
      RESEND_BASE_URL: resend.url,
      EMAIL_FROM: 'Identity <id@example.com>',
      EMAIL_DELIVERY_IN_API: 'true',
      EMAIL_POLL_INTERVAL_MS: '50',
      EMAIL_RETRY_BASE_MS: '50',
      EMAIL_MAX_ATTEMPTS: '100',
    };
    const a = await startApi({ env });
    const b = await startApi({ env });
    nodes = [new Api(a.url), new Api(b.url)];
  });
  afterAll(async () => {
    await stopAll();
    await resend.stop();
    await db?.drop();
  });

  it('delivers every mail accepted during the outage exactly once after recovery', async () => {
    const first = uniqueEmail('before');
    expect((await nodes[0].register(first, PASSWORD)).status).toBe(201);
    await waitFor('the mail sent before the outage', async () => resend.mailsTo(first).length === 1, 10000);

    resend.failWith(500);
    const failedFrom = resend.requests.length;
    const registered: string[] = [];
    for (let i = 0; i < 12; i++) {
      const email = uniqueEmail('outage');
      const res = await nodes[i % 2].register(email, PASSWORD);
      expect(res.status).toBe(201);
      registered.push(email);
    }
    const resets = registered.slice(0, 4);
    for (const [i, email] of resets.entries()) {
      expect((await nodes[i % 2].send({ method: 'POST', path: '/api/v1/auth/password-reset', body: { email } })).status).toBe(202);
    }
    const expected = new Map(registered.map((e) => [e, resets.includes(e) ? 2 : 1]));
    const total = [...expected.values()].reduce((a, b) => a + b, 0);

    // the outage is real: every one of those mails was tried and refused at least twice
    await waitFor(
      'every mail tried at least twice during the outage',
      async () => registered.every((e) => resend.requests.slice(failedFrom).filter((m) => m.to.includes(e)).length >= 2 * expected.get(e)!),
      15000,
    );
    expect(registered.every((e) => resend.mailsTo(e).length === 0)).toBe(true);
    const pending = await query<{ status: string; n: number }>(
      db.url,
      `SELECT status, count(*)::int AS n FROM email_outbox WHERE recipient = ANY($1) GROUP BY status`,
      [registered],
    );
    expect(pending.find((r) => r.status === 'sent' || r.status === 'failed')).toBeUndefined();
    expect(pending.reduce((a, r) => a + r.n, 0)).toBe(total);

    const recoveredFrom = resend.requests.length;
    const failedRequests = recoveredFrom - failedFrom;
    resend.succeed();
    const deliveredMs = await waitFor(
      'every mail delivered after recovery',
      async () => registered.every((e) => resend.mailsTo(e).length >= expected.get(e)!),
      30000,
    );
    await sleep(1000); // room for a duplicate to show up

    for (const [email, n] of expected) expect(resend.mailsTo(email)).toHaveLength(n);
    // exactly once on the wire too: after recovery each outbox row was posted once
    const posts = new Map<string, number>();
    for (const m of resend.requests.slice(recoveredFrom)) posts.set(m.idempotencyKey ?? '?', (posts.get(m.idempotencyKey ?? '?') ?? 0) + 1);
    expect([...posts.values()].every((n) => n === 1)).toBe(true);
    expect(posts.size).toBe(total);

    const rows = await query<{ id: string; status: string; attempts: number; provider_message_id: string | null }>(
      db.url,
      `SELECT id, status, attempts, provider_message_id FROM email_outbox WHERE recipient = ANY($1)`,
      [registered],
    );
    expect(rows).toHaveLength(total);
    for (const r of rows) {
      expect(r.status).toBe('sent');
      expect(r.attempts).toBeGreaterThan(2);
      expect(r.provider_message_id).toBe(resend.delivered.find((m) => m.idempotencyKey === r.id)?.id);
    }
    note(
      `resend: ${total} mails during the outage, ${failedRequests} refused posts, all delivered ${deliveredMs} ms after recovery, max attempts ${Math.max(...rows.map((r) => r.attempts))}`,
    );
  });
});
