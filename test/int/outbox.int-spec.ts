import { OutboxRepository } from '@app/email';
import { DRIVERS, itConcurrently, uniqueEmail, useDatabase } from './support/drivers';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * OutboxRepository's SQL: mails written in the caller's transaction, claimed with FOR UPDATE SKIP
 * LOCKED plus a lease, and their outcome recorded. The outbox is one queue, so each test starts
 * from an empty table. Times are the database's now() here (the lease is measured by PostgreSQL).
 */
describe.each(DRIVERS)('OutboxRepository on %s', (kind) => {
  const db = useDatabase(kind, { poolSize: 8 });
  let repo: OutboxRepository;

  beforeAll(() => {
    repo = new OutboxRepository(db.ds);
  });
  beforeEach(async () => {
    await db.ds.query(`DELETE FROM email_outbox`);
  });

  const enqueue = (template = 'verify_email') => db.uow.run((tx) => repo.enqueue(tx, uniqueEmail('mail'), template, (id) => `sealed-for-${id}`));
  const row = async (id: string) =>
    (
      await db.ds.query(
        `SELECT status, attempts, payload, last_error, provider_message_id, sent_at, locked_until,
                extract(epoch FROM locked_until - now())::float AS lease_left_s,
                extract(epoch FROM next_attempt_at - now())::float AS due_in_s
           FROM email_outbox WHERE id = $1`,
        [id],
      )
    )[0];
  /** The lease ran out (as if `leaseMs` had passed). */
  const expireLease = (id: string) => db.ds.query(`UPDATE email_outbox SET locked_until = now() - interval '1 millisecond' WHERE id = $1`, [id]);

  it('enqueue writes in the caller’s unit of work: committed with it, the payload sealed for the row’s id', async () => {
    const recipient = uniqueEmail('to');
    const id = await db.uow.run((tx) => repo.enqueue(tx, recipient, 'reset_password', (mailId) => `sealed-for-${mailId}`));
    expect(await db.ds.query(`SELECT recipient, template, status, attempts, payload FROM email_outbox WHERE id = $1`, [id])).toEqual([
      { recipient, template: 'reset_password', status: 'pending', attempts: 0, payload: { sealed: `sealed-for-${id}` } },
    ]);
  });

  it('enqueue in a unit of work that rolls back leaves nothing', async () => {
    let id: string | undefined;
    await expect(
      db.uow.run(async (tx) => {
        id = await repo.enqueue(tx, uniqueEmail('to'), 'verify_email', (mailId) => `sealed-for-${mailId}`);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(id).toBeDefined();
    expect(await db.ds.query(`SELECT count(*)::int AS n FROM email_outbox`)).toEqual([{ n: 0 }]);
    expect(await repo.claim(10, 60_000)).toEqual([]);
  });

  it('claim takes due pending mails, the one due first first, up to the limit; counts the attempt and leases them', async () => {
    const ids = [await enqueue(), await enqueue(), await enqueue(), await enqueue()];
    // the one due first is picked first (RETURNING gives no order: compare sets)
    await db.ds.query(`UPDATE email_outbox SET next_attempt_at = now() - interval '1 hour' WHERE id = $1`, [ids[2]]);
    await db.ds.query(`UPDATE email_outbox SET next_attempt_at = now() - interval '1 minute' WHERE id = $1`, [ids[3]]);
    await db.ds.query(`UPDATE email_outbox SET next_attempt_at = now() + interval '1 minute' WHERE id = $1`, [ids[1]]); // not due

    const claimed = await repo.claim(2, 60_000);
    expect(claimed.map((m) => m.id).sort()).toEqual([ids[2], ids[3]].sort());
    expect(claimed.find((m) => m.id === ids[2])).toEqual({
      id: ids[2],
      recipient: expect.stringMatching(/@example\.com$/),
      template: 'verify_email',
      sealed: `sealed-for-${ids[2]}`,
      attempts: 1,
    });
    const leased = await row(ids[2]);
    expect(leased).toMatchObject({ status: 'sending', attempts: 1 });
    expect(leased.lease_left_s).toBeGreaterThan(50);
    expect(leased.lease_left_s).toBeLessThanOrEqual(60);

    expect(await repo.claim(10, 60_000)).toMatchObject([{ id: ids[0], attempts: 1 }]);
    expect(await repo.claim(10, 60_000)).toEqual([]); // ids[1] is not due yet
    expect(await row(ids[1])).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it('a claimed mail is not claimed again while its lease lasts; once it has run out, it is (attempt 2)', async () => {
    const id = await enqueue();
    expect((await repo.claim(10, 60_000)).map((m) => m.id)).toEqual([id]);
    expect(await repo.claim(10, 60_000)).toEqual([]);

    await expireLease(id);
    expect(await repo.claim(10, 60_000)).toMatchObject([{ id, attempts: 2, sealed: `sealed-for-${id}` }]);
    expect(await repo.claim(10, 60_000)).toEqual([]);
  });

  it('a short lease runs out by itself (leaseMs is milliseconds)', async () => {
    const id = await enqueue();
    expect(await repo.claim(10, 300)).toMatchObject([{ id, attempts: 1 }]);
    expect(await repo.claim(10, 300)).toEqual([]);
    await sleep(400);
    expect(await repo.claim(10, 300)).toMatchObject([{ id, attempts: 2 }]);
  });

  it('markRetry puts the mail back as pending, due later: not claimable now; the payload and attempts kept', async () => {
    const id = await enqueue();
    await repo.claim(10, 60_000);
    await repo.markRetry({ id, attempts: 1 }, 30_000, 'HTTP 503 '.repeat(100));
    const retried = await row(id);
    expect(retried).toMatchObject({ status: 'pending', attempts: 1, locked_until: null, payload: { sealed: `sealed-for-${id}` } });
    expect(retried.last_error).toHaveLength(500);
    expect(retried.due_in_s).toBeGreaterThan(25);
    expect(retried.due_in_s).toBeLessThanOrEqual(30);
    expect(await repo.claim(10, 60_000)).toEqual([]);

    // once due, claimed again as attempt 2
    await db.ds.query(`UPDATE email_outbox SET next_attempt_at = now() WHERE id = $1`, [id]);
    expect(await repo.claim(10, 60_000)).toMatchObject([{ id, attempts: 2, sealed: `sealed-for-${id}` }]);
  });

  it('markSent and markFailed end the mail and wipe its payload; neither is claimed again', async () => {
    const [sent, failed] = [await enqueue(), await enqueue()];
    await repo.claim(10, 60_000);
    expect(await repo.markSent({ id: sent, attempts: 1 }, 'provider-123')).toBe(true);
    expect(await repo.markFailed({ id: failed, attempts: 1 }, 'x'.repeat(600))).toBe(true);

    const s = await row(sent);
    expect(s).toMatchObject({ status: 'sent', provider_message_id: 'provider-123', last_error: null, locked_until: null, sent_at: expect.any(Date) });
    expect(s.payload).toEqual({}); // (toMatchObject would take any object for {})
    const f = await row(failed);
    expect(f).toMatchObject({ status: 'failed', locked_until: null, sent_at: null });
    expect(f.payload).toEqual({});
    expect(f.last_error).toBe('x'.repeat(500));

    await expireLease(sent);
    await expireLease(failed);
    expect(await repo.claim(10, 60_000)).toEqual([]);
  });

  it('stats counts pending and failed mails and the age of the oldest pending one', async () => {
    expect(await repo.stats()).toEqual({ pending: 0, failed: 0, oldestPendingAgeSeconds: null });
    const [a, b, c, d] = [await enqueue(), await enqueue(), await enqueue(), await enqueue()];
    await db.ds.query(`UPDATE email_outbox SET next_attempt_at = now() - interval '90 seconds' WHERE id = $1`, [a]);
    expect(await repo.stats()).toEqual({ pending: 4, failed: 0, oldestPendingAgeSeconds: 90 });

    await repo.claim(2, 60_000); // a and one more: sending is neither pending nor failed
    expect(await repo.stats()).toMatchObject({ pending: 2, failed: 0 });
    const [sending] = await db.ds.query(`SELECT id FROM email_outbox WHERE status = 'sending' AND id <> $1`, [a]);
    await repo.markSent({ id: a, attempts: 1 }, null);
    await repo.markFailed({ id: sending.id, attempts: 1 }, 'refused');
    expect(await repo.stats()).toMatchObject({ pending: 2, failed: 1 });
    expect([b, c, d]).toContain(sending.id);
  });

  /*
   * A worker whose lease ran out while it was still sending (LEASE_MS 60 s against a 10 s send
   * timeout: a stall of ~50 s — a paused process, a blocked event loop) must not record its
   * outcome over the one of the worker that took the mail over. Before the marks were fenced by
   * the lease (status 'sending' and the claim's attempt number), A's late markRetry turned the mail
   * B had sent back into a pending one whose payload was already wiped, and the next claim marked
   * a delivered mail failed ("payload cannot be opened").
   */
  it('a worker whose lease ran out cannot overwrite the outcome of the worker that took the mail over', async () => {
    const id = await enqueue();
    expect(await repo.claim(10, 60_000)).toMatchObject([{ id, attempts: 1 }]); // worker A
    await expireLease(id); // A stalls past its lease
    expect(await repo.claim(10, 60_000)).toMatchObject([{ id, attempts: 2 }]); // worker B takes it over
    expect(await repo.markSent({ id, attempts: 2 }, 'provider-1')).toBe(true); // B delivers it
    expect(await repo.markRetry({ id, attempts: 1 }, 0, 'send timed out')).toBe(false); // A's late outcome
    expect(await repo.markFailed({ id, attempts: 1 }, 'late')).toBe(false);

    expect(await row(id)).toMatchObject({ status: 'sent', provider_message_id: 'provider-1' });
    expect(await repo.claim(10, 60_000)).toEqual([]);
  });

  itConcurrently(kind)('concurrent claims never return the same mail, and together take every due one', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) ids.add(await enqueue());
    const batches = await Promise.all(Array.from({ length: 6 }, () => repo.claim(10, 60_000)));
    const claimed = batches.flat().map((m) => m.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(batches.flat().every((m) => m.attempts === 1)).toBe(true);
    // a claimer skips what another holds (it may get fewer than its limit): what none took is still due
    const left = await repo.claim(100, 60_000);
    expect(new Set([...claimed, ...left.map((m) => m.id)])).toEqual(ids);
    expect(claimed.length + left.length).toBe(40);
  });
});
