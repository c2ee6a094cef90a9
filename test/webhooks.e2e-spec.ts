import { randomUUID } from 'node:crypto';
import { DomainEvents } from '@app/common';
import { UnitOfWork } from '@app/database';
import { HostResolver, WebhookDeliveryService } from '@app/webhooks';
import { WebhookSender } from '../libs/webhooks/src/deliveries/webhook-sender';
import { bearer, login, makeAdmin, PASSWORD, register, type Registered, type Tokens, uniqueEmail } from './support/auth';
import { startTestApp, type TestApp } from './support/test-app';
import { type ReceivedWebhook, verifyStandardWebhook, WebhookReceiver } from './support/webhook-receiver';

/**
 * Webhooks (API.md v1.2) against a local receiver: endpoints through the admin API (secret shown
 * once), deliveries queued with the change and sent by the delivery job — driven here with
 * `runOnce()` — signed per the Standard Webhooks spec, retried with the same webhook-id, visible
 * on the deliveries page; private targets refused without WEBHOOKS_ALLOW_PRIVATE, at save and at
 * delivery.
 */
const WEBHOOKS = '/api/v1/admin/webhooks';
/** API.md's list, written out rather than imported: an endpoint must accept every one of them */
const ALL_TYPES = [
  'user.registered',
  'user.updated',
  'user.disabled',
  'user.deleted',
  'session.revoked',
  'auth.login',
  'password.changed',
  'mfa.enabled',
  'mfa.disabled',
];

interface Delivery {
  id: string;
  event: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  next_attempt_at: string | null;
  created_at: string;
}

describe('Webhooks (WEBHOOKS_ALLOW_PRIVATE=true, a local receiver)', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let admin: Registered & { tokens: Tokens };
  let paths = 0;

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp({ WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOKS_TIMEOUT_MS: '500' });
    admin = await makeAdmin(t);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });
  afterEach(async () => {
    // every test subscribes its own endpoint; none receives the next test's events
    await t.sql(`DELETE FROM webhook_deliveries`);
    await t.sql(`DELETE FROM webhook_endpoints`);
  });

  const deliver = () => t.app.get(WebhookDeliveryService).runOnce();
  const asAdmin = () => bearer(admin.tokens.access_token);
  /** Makes every pending delivery due now (the backoff has been observed by then). */
  const dueNow = () => t.sql(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending'`);

  async function createEndpoint(events: string[], path = `/hook-${++paths}`) {
    const res = await t
      .http()
      .post(WEBHOOKS)
      .set(...asAdmin())
      .send({ url: `${receiver.url}${path}`, events, description: 'test receiver' });
    expect(res.status).toBe(201);
    return { ...(res.body as { id: string; secret: string; url: string }), path };
  }

  async function deliveriesOf(endpointId: string, query = ''): Promise<Delivery[]> {
    const res = await t
      .http()
      .get(`${WEBHOOKS}/${endpointId}/deliveries${query}`)
      .set(...asAdmin())
      .expect(200);
    return res.body.items;
  }

  it('creates an endpoint: 201 with a whsec_ secret shown this once; reading it never shows the secret; stored sealed; audited', async () => {
    const res = await t
      .http()
      .post(WEBHOOKS)
      .set(...asAdmin())
      .send({ url: `${receiver.url}/created?token=receiver-own`, events: ['user.registered', 'auth.login'] });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      url: `${receiver.url}/created?token=receiver-own`,
      events: ['user.registered', 'auth.login'],
      description: null,
      enabled: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const { id, secret } = res.body;

    const one = await t
      .http()
      .get(`${WEBHOOKS}/${id}`)
      .set(...asAdmin())
      .expect(200);
    expect(one.body).not.toHaveProperty('secret');
    expect(JSON.stringify(one.body)).not.toContain(secret.slice(6));
    const list = await t
      .http()
      .get(WEBHOOKS)
      .set(...asAdmin())
      .expect(200);
    expect(list.body.items.map((e: { id: string }) => e.id)).toEqual([id]);
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(6));

    const [row] = await t.sql<{ secret_sealed: string }>(`SELECT secret_sealed FROM webhook_endpoints WHERE id = $1`, [id]);
    expect(row.secret_sealed).not.toContain(secret.slice(6));

    const audit = await t
      .http()
      .get('/api/v1/admin/audit-logs?event=admin.webhook_changed')
      .set(...asAdmin())
      .expect(200);
    const created = audit.body.items.find((e: { metadata: { webhook_id?: string } }) => e.metadata.webhook_id === id);
    expect(created).toMatchObject({ actor_id: admin.id, outcome: 'success', metadata: { action: 'created', host: new URL(receiver.url).host } });
    // the host only: a query may carry the receiver's own token
    expect(JSON.stringify(created.metadata)).not.toContain('receiver-own');
  });

  it('updates and deletes an endpoint (404 afterwards, deliveries page included), each change audited', async () => {
    const endpoint = await createEndpoint(['user.registered']);
    const patched = await t
      .http()
      .patch(`${WEBHOOKS}/${endpoint.id}`)
      .set(...asAdmin())
      .send({ events: ['auth.login', 'session.revoked'], enabled: false, description: null })
      .expect(200);
    expect(patched.body).toMatchObject({ id: endpoint.id, events: ['auth.login', 'session.revoked'], enabled: false, description: null });
    expect(patched.body).not.toHaveProperty('secret');
    const empty = await t
      .http()
      .patch(`${WEBHOOKS}/${endpoint.id}`)
      .set(...asAdmin())
      .send({});
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('validation_failed');
    const unknownEvent = await t
      .http()
      .patch(`${WEBHOOKS}/${endpoint.id}`)
      .set(...asAdmin())
      .send({ events: ['user.exploded'] });
    expect(unknownEvent.status).toBe(400);

    // disabled: a login queues nothing for it
    const user = await register(t);
    await login(t, user.email);
    expect(await deliveriesOf(endpoint.id)).toEqual([]);

    await t
      .http()
      .delete(`${WEBHOOKS}/${endpoint.id}`)
      .set(...asAdmin())
      .expect(204);
    for (const path of [`${WEBHOOKS}/${endpoint.id}`, `${WEBHOOKS}/${endpoint.id}/deliveries`]) {
      const gone = await t
        .http()
        .get(path)
        .set(...asAdmin());
      expect({ path, status: gone.status, code: gone.body.code }).toEqual({ path, status: 404, code: 'not_found' });
    }
    const again = await t
      .http()
      .delete(`${WEBHOOKS}/${endpoint.id}`)
      .set(...asAdmin());
    expect(again.status).toBe(404);

    const audit = await t
      .http()
      .get('/api/v1/admin/audit-logs?event=admin.webhook_changed&limit=100')
      .set(...asAdmin())
      .expect(200);
    const actions = audit.body.items
      .filter((e: { metadata: { webhook_id?: string } }) => e.metadata.webhook_id === endpoint.id)
      .map((e: { metadata: { action: string; changed_fields?: string[] } }) => [e.metadata.action, e.metadata.changed_fields ?? null]);
    expect(actions).toEqual([
      ['deleted', null],
      ['updated', ['events', 'description', 'enabled']],
      ['created', null],
    ]);
  });

  it('is for admins only', async () => {
    const user = await register(t);
    const tokens = await login(t, user.email);
    const res = await t
      .http()
      .post(WEBHOOKS)
      .set(...bearer(tokens.access_token))
      .send({ url: `${receiver.url}/x`, events: ['user.registered'] });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    await t.http().get(WEBHOOKS).expect(401);
    expect(await t.sql(`SELECT id FROM webhook_endpoints`)).toEqual([]);
  });

  it('a registration delivers user.registered, signed per the Standard Webhooks spec, with the delivery id as webhook-id', async () => {
    const endpoint = await createEndpoint(['user.registered']);
    const email = uniqueEmail('hooked');
    const user = await register(t, email, PASSWORD, 'Ada Hook');
    expect(receiver.at(endpoint.path)).toHaveLength(0); // queued, not sent by the request
    const before = Math.floor(Date.now() / 1000);
    expect(await deliver()).toBe(1);

    const [got] = receiver.at(endpoint.path);
    expect(receiver.at(endpoint.path)).toHaveLength(1);
    expect(got.headers['content-type']).toBe('application/json');
    expect(verifyStandardWebhook(endpoint.secret, got.headers, got.body)).toBe(true);
    // a signature made with another secret, or over another body, does not verify: the check above can fail
    expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, got.headers, got.body)).toBe(false);
    expect(verifyStandardWebhook(endpoint.secret, got.headers, got.body.replace('Ada Hook', 'Eve Hook'))).toBe(false);
    expect(Number(got.headers['webhook-timestamp'])).toBeGreaterThanOrEqual(before - 1);
    expect(Number(got.headers['webhook-timestamp'])).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);

    const payload = JSON.parse(got.body);
    expect(payload).toEqual({
      type: 'user.registered',
      timestamp: expect.any(String),
      data: {
        user: expect.objectContaining({ id: user.id, email, name: 'Ada Hook', role: 'user', email_verified: false, is_active: true, has_password: true }),
        method: 'password',
      },
    });
    expect(new Date(payload.timestamp).toISOString()).toBe(payload.timestamp);

    const [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toEqual({
      id: got.headers['webhook-id'],
      event: 'user.registered',
      status: 'delivered',
      attempts: 1,
      last_status_code: 204,
      next_attempt_at: null,
      created_at: expect.any(String),
    });
    // nothing is due any more: a second pass sends nothing
    expect(await deliver()).toBe(0);
    expect(receiver.at(endpoint.path)).toHaveLength(1);
  });

  it('retries after a 500 with the same webhook-id and body (fresh timestamp and signature), after a backoff', async () => {
    const endpoint = await createEndpoint(['user.registered']);
    receiver.answer(500);
    await register(t);
    await deliver();
    const [first] = receiver.at(endpoint.path);
    expect(first.status).toBe(500);

    let [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ id: first.headers['webhook-id'], status: 'pending', attempts: 1, last_status_code: 500 });
    // backed off (base 5 s by default): not due yet, a pass sends nothing
    expect(new Date(delivery.next_attempt_at!).getTime()).toBeGreaterThan(Date.now() + 2000);
    expect(await deliver()).toBe(0);
    expect(receiver.at(endpoint.path)).toHaveLength(1);

    await dueNow();
    await new Promise((r) => setTimeout(r, 1100)); // a new second: the retry's timestamp differs
    await deliver();
    const [, second] = receiver.at(endpoint.path);
    expect(second.status).toBe(204);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(second.body).toBe(first.body);
    expect(second.headers['webhook-timestamp']).not.toBe(first.headers['webhook-timestamp']);
    expect(second.headers['webhook-signature']).not.toBe(first.headers['webhook-signature']);
    expect(verifyStandardWebhook(endpoint.secret, second.headers, second.body)).toBe(true);
    [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 204, next_attempt_at: null });
  });

  it('receiver down for a while: the delivery waits and arrives exactly once after it returns', async () => {
    const endpoint = await createEndpoint(['auth.login']);
    const user = await register(t);
    await receiver.stop();
    try {
      const tokens = await login(t, user.email);
      for (let attempt = 1; attempt <= 3; attempt++) {
        await dueNow();
        await deliver();
        const [delivery] = await deliveriesOf(endpoint.id);
        expect(delivery).toMatchObject({ event: 'auth.login', status: 'pending', attempts: attempt, last_status_code: null });
      }
      await receiver.start();
      await dueNow();
      await deliver();
      // more passes send nothing again
      await dueNow();
      await deliver();
      const got = receiver.at(endpoint.path);
      expect(got).toHaveLength(1);
      expect(JSON.parse(got[0].body)).toMatchObject({ type: 'auth.login', data: { user: { id: user.id }, session_id: tokens.session_id, method: 'password' } });
      const [delivery] = await deliveriesOf(endpoint.id);
      expect(delivery).toMatchObject({ id: got[0].headers['webhook-id'], status: 'delivered', attempts: 4, last_status_code: 204 });
    } finally {
      if (!receiver.up) await receiver.start();
    }
  });

  it('gives up after WEBHOOKS_MAX_ATTEMPTS; follows no redirect; times out a receiver that never answers', async () => {
    const endpoint = await createEndpoint(['user.registered']);
    receiver.answer(302, 'hang');
    await register(t);
    await deliver();
    expect(receiver.at(`/redirected`)).toHaveLength(0);
    let [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 302 });

    await dueNow();
    const started = Date.now();
    await deliver();
    expect(Date.now() - started).toBeLessThan(5000); // WEBHOOKS_TIMEOUT_MS=500
    [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 2, last_status_code: null });

    // the last allowed attempt fails: failed for good, nothing due any more
    await t.sql(`UPDATE webhook_deliveries SET next_attempt_at = now(), attempts = $1 - 1`, [t.config.webhooks.maxAttempts]);
    receiver.answer(503);
    await deliver();
    [delivery] = await deliveriesOf(endpoint.id);
    expect(delivery).toMatchObject({ status: 'failed', attempts: t.config.webhooks.maxAttempts, last_status_code: 503, next_attempt_at: null });
    await dueNow();
    expect(await deliver()).toBe(0);
  });

  it('the deliveries page lists one endpoint’s deliveries newest first, page by page', async () => {
    const endpoint = await createEndpoint(['user.registered']);
    const other = await createEndpoint(['user.registered']);
    await register(t);
    await register(t);
    await register(t);
    const all = await deliveriesOf(endpoint.id);
    expect(all).toHaveLength(3);
    expect(all.every((d) => d.status === 'pending' && d.attempts === 0 && d.next_attempt_at !== null)).toBe(true);
    const others = await deliveriesOf(other.id);
    expect(others.map((d) => d.id)).not.toEqual(expect.arrayContaining([all[0].id]));
    expect([...all].sort((a, b) => b.created_at.localeCompare(a.created_at) || b.id.localeCompare(a.id))).toEqual(all);

    const page1 = await t
      .http()
      .get(`${WEBHOOKS}/${endpoint.id}/deliveries?limit=2`)
      .set(...asAdmin())
      .expect(200);
    expect(page1.body.items.map((d: Delivery) => d.id)).toEqual(all.slice(0, 2).map((d) => d.id));
    const page2 = await t
      .http()
      .get(`${WEBHOOKS}/${endpoint.id}/deliveries?limit=2&cursor=${page1.body.next_cursor}`)
      .set(...asAdmin())
      .expect(200);
    expect(page2.body).toEqual({ items: [all[2]], next_cursor: null });
    const unknown = await t
      .http()
      .get(`${WEBHOOKS}/${randomUUID()}/deliveries`)
      .set(...asAdmin());
    expect(unknown.status).toBe(404);
  });

  it('maps the product events, and no payload carries a secret, token, hash or password', async () => {
    const endpoint = await createEndpoint(ALL_TYPES);
    const user = await register(t);
    const tokens = await login(t, user.email);
    const newPassword = 'An0ther-Passphrase-here';
    await t
      .http()
      .put('/api/v1/users/profile')
      .set(...bearer(tokens.access_token))
      .send({ name: 'Renamed' })
      .expect(200);
    await t
      .http()
      .post('/api/v1/auth/password/change')
      .set(...bearer(tokens.access_token))
      .send({ current_password: PASSWORD, new_password: newPassword })
      .expect(204);
    const second = await login(t, user.email, newPassword);
    await t
      .http()
      .post('/api/v1/auth/logout')
      .set(...bearer(second.access_token))
      .expect(204);
    await t
      .http()
      .patch(`/api/v1/admin/users/${user.id}`)
      .set(...asAdmin())
      .send({ is_active: false, role: 'guest' })
      .expect(200);
    // a failed sign-in is no webhook
    await t.http().post('/api/v1/auth/login').send({ email: admin.email, password: 'wrong-password-1' }).expect(401);

    expect(await deliver()).toBeGreaterThan(0);
    const bodies = receiver.at(endpoint.path).map((r: ReceivedWebhook) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    const mine = bodies.filter((b) => (b.data.user as { id: string }).id === user.id);
    expect(mine.map((b) => b.type).sort()).toEqual(
      [
        'user.registered',
        'auth.login',
        'user.updated', // profile name
        'password.changed', // (no other session to revoke: no session.revoked)
        'auth.login',
        'session.revoked', // logout
        'session.revoked', // disabling revokes the rest
        'user.disabled',
        'user.updated', // the role changed with it
      ].sort(),
    );
    expect(mine.find((b) => b.type === 'user.updated' && (b.data.changed_fields as string[]).includes('name'))).toBeDefined();
    expect(mine.find((b) => b.type === 'password.changed')?.data).toMatchObject({ via: 'change' });
    expect(mine.find((b) => b.type === 'user.disabled')?.data.user).toMatchObject({ is_active: false, role: 'guest' });
    expect(bodies.filter((b) => (b.data.user as { id: string }).id === admin.id)).toEqual([]);

    const raw = receiver.at(endpoint.path).map((r) => r.body);
    for (const body of raw) {
      for (const secret of [
        endpoint.secret,
        endpoint.secret.slice(6),
        PASSWORD,
        newPassword,
        tokens.access_token,
        tokens.refresh_token,
        second.refresh_token,
      ]) {
        expect(body).not.toContain(secret);
      }
      const keys = [...body.matchAll(/"([^"]+)":/g)].map((m) => m[1]).filter((k) => k !== 'has_password');
      expect(keys.filter((k) => /hash|secret|token|passw|code/i.test(k))).toEqual([]);
    }
    const [hash] = await t.sql<{ password_hash: string }>(`SELECT password_hash FROM users WHERE id = $1`, [user.id]);
    expect(raw.join('\n')).not.toContain(hash.password_hash);
  });

  it('queues a delivery in the transaction of its change: nothing when the change rolls back', async () => {
    const endpoint = await createEndpoint(['user.registered']);
    const user = await register(t);
    await t.sql(`DELETE FROM webhook_deliveries`);
    const events = t.app.get(DomainEvents);
    await expect(
      t.app.get(UnitOfWork).run(async (tx) => {
        await events.record('user.registered', { actorId: user.id }, { metadata: { method: 'password' }, tx });
        expect(await tx.manager.query(`SELECT count(*)::int AS n FROM webhook_deliveries`)).toEqual([{ n: 1 }]);
        throw new Error('the change fails');
      }),
    ).rejects.toThrow('the change fails');
    expect(await deliveriesOf(endpoint.id)).toEqual([]);
  });
});

describe('Webhooks without WEBHOOKS_ALLOW_PRIVATE', () => {
  const receiver = new WebhookReceiver();
  let t: TestApp;
  let admin: Registered & { tokens: Tokens };

  beforeAll(async () => {
    await receiver.start();
    t = await startTestApp();
    admin = await makeAdmin(t);
  });
  afterAll(async () => {
    await t?.close();
    await receiver.stop();
  });

  it.each([
    ['plain http', 'http://hooks.example.com/in'],
    ['loopback', 'https://127.0.0.1/in'],
    ['the local receiver', '__receiver__'],
    ['localhost', 'https://localhost/in'],
    ['IPv6 loopback', 'https://[::1]/in'],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/in'],
    ['RFC 1918', 'https://10.0.0.5/in'],
    ['CGNAT', 'https://100.64.1.1/in'],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data'],
    ['unique-local IPv6', 'https://[fd00:ec2::254]/in'],
    ['credentials in the URL', 'https://user:pw@93.184.215.14/in'],
  ])('refuses %s at save (400 validation_failed on url, nothing stored)', async (_, url) => {
    const res = await t
      .http()
      .post(WEBHOOKS)
      .set(...bearer(admin.tokens.access_token))
      .send({ url: url === '__receiver__' ? `${receiver.url.replace('http:', 'https:')}/in` : url, events: ['user.registered'] });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'url', message: expect.any(String) }] });
    expect(await t.sql(`SELECT id FROM webhook_endpoints`)).toEqual([]);
  });

  it('checks again at delivery: a host that now resolves to loopback (DNS rebinding) gets nothing', async () => {
    const dns = jest.spyOn(t.app.get(HostResolver), 'lookup');
    try {
      // saved while the name resolves to a public address
      dns.mockResolvedValue([{ address: '93.184.215.14', family: 4 as const }]);
      const port = new URL(receiver.url).port;
      const created = await t
        .http()
        .post(WEBHOOKS)
        .set(...bearer(admin.tokens.access_token))
        .send({ url: `https://rebind.example.test:${port}/in`, events: ['user.registered'] });
      expect(created.status).toBe(201);
      // then the DNS answers with the receiver's loopback address
      dns.mockResolvedValue([{ address: '127.0.0.1', family: 4 as const }]);
      await register(t);
      await t.app.get(WebhookDeliveryService).runOnce();
      expect(receiver.received).toEqual([]);
      const [row] = await t.sql<{ status: string; attempts: number; last_error: string; last_status_code: number | null }>(
        `SELECT status, attempts, last_error, last_status_code FROM webhook_deliveries WHERE endpoint_id = $1`,
        [created.body.id],
      );
      // refused before any connection: the reason names the address (a TLS or HTTP failure would not)
      expect(row).toEqual({
        status: 'pending',
        attempts: 1,
        last_error: 'rebind.example.test resolves to 127.0.0.1, which is not a public address',
        last_status_code: null,
      });
      expect(dns).toHaveBeenCalledWith('rebind.example.test');
    } finally {
      dns.mockRestore();
    }
  });
});

describe('WebhookSender', () => {
  const receiver = new WebhookReceiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());

  it('connects to the address that was checked, never resolving the host name again (no rebinding between check and connect)', async () => {
    const port = new URL(receiver.url).port;
    // `.invalid` never resolves (RFC 6761): only the pinned address can have been used
    const status = await new WebhookSender().send({
      url: new URL(`http://hooks.invalid:${port}/pinned?x=1`),
      address: { address: '127.0.0.1', family: 4 },
      headers: { 'content-type': 'application/json' },
      body: '{"ok":true}',
      timeoutMs: 2000,
    });
    expect(status).toBe(204);
    expect(receiver.at('/pinned?x=1')).toMatchObject([{ body: '{"ok":true}', headers: { host: `hooks.invalid:${port}`, 'content-length': '11' } }]);
  });
});
