import { randomUUID } from 'node:crypto';
import { WebhookDeliveriesRepository } from '../../libs/webhooks/src/deliveries/webhook-deliveries.repository';
import { WebhookEndpointsRepository } from '../../libs/webhooks/src/endpoints/webhook-endpoints.repository';
import { DRIVERS, useDatabase } from './support/drivers';

/**
 * The SQL of webhook endpoints and deliveries on both drivers: text[] subscriptions, deliveries
 * written in the caller's unit of work, the outbox claim and lease-fenced outcomes on
 * `webhook_deliveries`, and the per-endpoint keyset page.
 */
describe.each(DRIVERS)('Webhook repositories on %s', (kind) => {
  const db = useDatabase(kind);
  let endpoints: WebhookEndpointsRepository;
  let deliveries: WebhookDeliveriesRepository;

  beforeAll(() => {
    endpoints = new WebhookEndpointsRepository(db.ds);
    deliveries = new WebhookDeliveriesRepository(db.ds);
  });
  beforeEach(async () => {
    await db.ds.query(`DELETE FROM webhook_deliveries`);
    await db.ds.query(`DELETE FROM webhook_endpoints`);
  });

  const endpoint = (events: ('user.registered' | 'auth.login' | 'session.revoked')[], enabled = true) =>
    db.uow.run((tx) => endpoints.create({ url: 'https://hooks.example.com/in', events, description: null, enabled }, (id) => `sealed-for-${id}`, tx));
  const row = async (id: string) =>
    (
      await db.ds.query(`SELECT status, attempts, payload, last_status_code, last_error, locked_until, delivered_at FROM webhook_deliveries WHERE id = $1`, [
        id,
      ])
    )[0];

  it('creates, reads, changes and deletes an endpoint; the secret is sealed for its id', async () => {
    const e = await endpoint(['user.registered', 'auth.login']);
    expect(e).toMatchObject({ events: ['user.registered', 'auth.login'], enabled: true, description: null, secretSealed: `sealed-for-${e.id}` });
    expect(await endpoints.findById(e.id)).toEqual(e);

    const changed = await db.uow.run(async (tx) => {
      expect(await endpoints.lock(e.id, tx)).toEqual(e);
      return endpoints.update(e.id, { events: ['session.revoked'], description: 'CRM', enabled: false }, tx);
    });
    expect(changed).toMatchObject({ id: e.id, url: e.url, events: ['session.revoked'], description: 'CRM', enabled: false });
    expect(changed!.updatedAt.getTime()).toBeGreaterThanOrEqual(e.updatedAt.getTime());
    expect(await db.uow.run((tx) => endpoints.update(e.id, { description: null }, tx))).toMatchObject({ description: null, events: ['session.revoked'] });

    expect(await db.uow.run((tx) => endpoints.delete(e.id, tx))).toBe(true);
    expect(await endpoints.findById(e.id)).toBeNull();
    expect(await db.uow.run((tx) => endpoints.delete(e.id, tx))).toBe(false);
  });

  it('subscribedTo lists the enabled endpoints whose events include the type', async () => {
    const a = await endpoint(['user.registered', 'auth.login']);
    const b = await endpoint(['auth.login']);
    await endpoint(['auth.login'], false);
    expect((await endpoints.subscribedTo('auth.login')).sort()).toEqual([a.id, b.id].sort());
    expect(await db.uow.run((tx) => endpoints.subscribedTo('user.registered', tx))).toEqual([a.id]);
    expect(await endpoints.subscribedTo('session.revoked')).toEqual([]);
  });

  it('enqueue writes one delivery per endpoint in the caller’s unit of work, rolled back with it', async () => {
    const [a, b] = [await endpoint(['auth.login']), await endpoint(['auth.login'])];
    const ids = await db.uow.run((tx) => deliveries.enqueue([a.id, b.id], 'auth.login', '{"type":"auth.login"}', tx));
    expect(ids).toHaveLength(2);
    expect(await row(ids[0])).toMatchObject({ status: 'pending', attempts: 0, payload: '{"type":"auth.login"}', last_status_code: null });

    await expect(
      db.uow.run(async (tx) => {
        await deliveries.enqueue([a.id], 'auth.login', '{}', tx);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await db.ds.query(`SELECT count(*)::int AS n FROM webhook_deliveries`)).toEqual([{ n: 2 }]);
  });

  it('claim leases due deliveries with their exact body; the outcomes record the HTTP status and are fenced by the lease', async () => {
    const e = await endpoint(['user.registered']);
    const body = '{"type":"user.registered","data":{"user":{"id":"x"}}}';
    const [id] = await db.uow.run((tx) => deliveries.enqueue([e.id], 'user.registered', body, tx));

    expect(await deliveries.claim(10, 60_000)).toEqual([{ id, endpointId: e.id, event: 'user.registered', payload: body, attempts: 1 }]);
    expect(await deliveries.claim(10, 60_000)).toEqual([]);
    expect(await deliveries.markRetry({ id, attempts: 1 }, 60_000, 'answered HTTP 500', 500)).toBe(true);
    expect(await row(id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      payload: body,
      last_status_code: 500,
      last_error: 'answered HTTP 500',
      locked_until: null,
    });
    expect(await deliveries.claim(10, 60_000)).toEqual([]); // backed off

    await db.ds.query(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1`, [id]);
    expect(await deliveries.claim(10, 60_000)).toMatchObject([{ id, attempts: 2, payload: body }]);
    // the first claim's lease is long gone: its outcome changes nothing
    expect(await deliveries.markDelivered({ id, attempts: 1 }, 204)).toBe(false);
    expect(await deliveries.markDelivered({ id, attempts: 2 }, 204)).toBe(true);
    expect(await row(id)).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 204, last_error: null, delivered_at: expect.any(Date) });
    expect(await deliveries.markFailed({ id, attempts: 2 }, 'late', null)).toBe(false);

    await db.ds.query(`UPDATE webhook_deliveries SET next_attempt_at = now(), locked_until = now() - interval '1 second'`);
    expect(await deliveries.claim(10, 60_000)).toEqual([]);
  });

  it('markFailed ends a delivery with the last status (or none)', async () => {
    const e = await endpoint(['user.registered']);
    const [id] = await db.uow.run((tx) => deliveries.enqueue([e.id], 'user.registered', '{}', tx));
    await deliveries.claim(10, 60_000);
    expect(await deliveries.markFailed({ id, attempts: 1 }, 'x'.repeat(600), null)).toBe(true);
    const failed = await row(id);
    expect(failed).toMatchObject({ status: 'failed', last_status_code: null, locked_until: null });
    expect(failed.last_error).toHaveLength(500);
  });

  it('lists an endpoint’s deliveries newest first, page by page; deleteForEndpoint removes only its own', async () => {
    const [a, b] = [await endpoint(['auth.login']), await endpoint(['auth.login'])];
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(...(await db.uow.run((tx) => deliveries.enqueue([a.id, b.id], 'auth.login', `{"n":${i}}`, tx))));
    const page1 = await deliveries.listForEndpoint(a.id, { limit: 2 });
    expect(page1).toHaveLength(3); // limit + 1
    expect(page1.every((d) => d.endpointId === a.id && d.status === 'pending' && d.attempts === 0)).toBe(true);
    const ordered = [...page1].sort((x, y) => y.createdAt.getTime() - x.createdAt.getTime() || (y.id < x.id ? -1 : 1));
    expect(page1).toEqual(ordered);
    const page2 = await deliveries.listForEndpoint(a.id, { limit: 2, cursor: { createdAt: page1[1].createdAt, id: page1[1].id } });
    expect(page2.map((d) => d.id)).toEqual([page1[2].id]);

    expect(await db.uow.run((tx) => deliveries.deleteForEndpoint(a.id, tx))).toBe(3);
    expect(await deliveries.listForEndpoint(a.id, { limit: 10 })).toEqual([]);
    expect(await deliveries.listForEndpoint(b.id, { limit: 10 })).toHaveLength(3);
    expect(await deliveries.listForEndpoint(randomUUID(), { limit: 10 })).toEqual([]);
  });
});
