import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { MIGRATIONS } from '@app/database';
import { Api } from './support/http-client';
import { SoftAuthenticator } from './support/soft-authenticator';
import { totpCode } from './support/totp';
import { ServerProcess, startApi, stopAll } from './support/processes';

/**
 * The embedded default (`npm start` with no DATABASE_URL / REDIS_URL): the real entry point in its
 * own process, PGlite in DATA_DIR, in-process store, a JWT secret generated once and kept.
 * Most suites run on the machine's PostgreSQL; this one proves the zero-dependency mode.
 */

const BOOT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

/** Starts apps/api/src/main.ts (ts-node + swc) with only the variables a developer would set. */
function startEmbedded(dataDir: string): Promise<ServerProcess> {
  return startApi({ bare: true, env: { NODE_ENV: 'development', DATA_DIR: dataDir, LOG_LEVEL: 'info' }, bootTimeoutMs: BOOT_TIMEOUT_MS });
}

/** SIGTERM: 0 when the process exits cleanly within STOP_TIMEOUT_MS, else how it ended and its output. */
async function stop(api: ServerProcess): Promise<number | string> {
  const code = await api.terminate(STOP_TIMEOUT_MS);
  return code === 0 ? code : `exit code ${code}:\n${api.output()}`;
}

/** Opens the stopped API's PGlite data directly (one process at a time owns it). */
async function withDatabase<T>(dataDir: string, fn: (db: PGlite) => Promise<T>): Promise<T> {
  const db = new PGlite(join(dataDir, 'pg'));
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const appliedMigrations = (db: PGlite) =>
  db.query<{ id: number; timestamp: string; name: string }>('SELECT id, timestamp::text, name FROM migrations ORDER BY id').then((r) => r.rows);

describe('Embedded mode: no DATABASE_URL, no REDIS_URL', () => {
  let dataDir: string;
  let first: ServerProcess;
  let secret: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-embedded-'));
  });

  afterAll(async () => {
    await stopAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'boots on PGlite in DATA_DIR with a generated JWT secret and answers health',
    async () => {
      first = await startEmbedded(dataDir);
      const health = await new Api(first.url).send({ path: '/health' });
      expect([health.status, health.body]).toEqual([200, { status: 'healthy', environment: 'development', version: expect.stringMatching(/^\d+\.\d+\.\d+/) }]);
      const ready = await new Api(first.url).ready();
      expect([ready.status, ready.body]).toEqual([200, { status: 'ok' }]);

      expect(first.output()).toContain('embedded mode');
      expect(statSync(join(dataDir, 'pg')).isDirectory()).toBe(true);
      secret = readFileSync(join(dataDir, 'jwt-secret'), 'utf8');
      expect(Buffer.byteLength(secret.trim())).toBeGreaterThanOrEqual(32);
      expect(statSync(join(dataDir, 'jwt-secret')).mode & 0o077).toBe(0);

      // the admin console is served by the same process (README "Console": npm start, then /console)
      const consolePage = await fetch(`${first.url}/console`);
      expect([consolePage.status, consolePage.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      expect(await consolePage.text()).toMatch(/<script type="module" crossorigin src="\/console\/assets\/[\w-]+\.js"><\/script>/);
    },
    BOOT_TIMEOUT_MS + 10_000,
  );

  it('registers, signs in, rotates refresh tokens (grace and reuse included) and answers /auth/me on PGlite', async () => {
    expect(first).toBeDefined();
    const base = `${first.url}/api/v1`;
    const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, any> };
    };
    const credentials = { email: 'embedded@example.test', password: 'Correct-Horse-7' };
    expect((await post('/auth/register', credentials)).status).toBe(201);
    const signedIn = await post('/auth/login', credentials);
    expect(signedIn.status).toBe(200);

    const [a, b] = await Promise.all([
      post('/auth/refresh', { refresh_token: signedIn.body.refresh_token }),
      post('/auth/refresh', { refresh_token: signedIn.body.refresh_token }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.refresh_token).toBe(b.body.refresh_token);
    expect(a.body.user.email).toBe(credentials.email);
    const next = await post('/auth/refresh', { refresh_token: a.body.refresh_token });
    expect(next.status).toBe(200);

    const me = await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${next.body.access_token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe(credentials.email);

    const reuse = await post('/auth/refresh', { refresh_token: signedIn.body.refresh_token });
    expect([reuse.status, reuse.body.code]).toEqual([401, 'refresh_token_reused']);
    const dead = await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${next.body.access_token}` } });
    expect(dead.status).toBe(401);
  });

  it('second factors and passkeys on PGlite and the in-process store: TOTP sign-in, a recovery code, a passkey', async () => {
    expect(first).toBeDefined();
    const base = `${first.url}/api/v1`;
    const call = async (method: string, path: string, body?: unknown, token?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (token) headers.authorization = `Bearer ${token}`;
      const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, any> };
    };
    const credentials = { email: 'embedded-mfa@example.test', password: 'Correct-Horse-7' };
    expect((await call('POST', '/auth/register', credentials)).status).toBe(201);
    const tokens = (await call('POST', '/auth/login', credentials)).body;

    const setup = await call('POST', '/auth/mfa/totp/setup', {}, tokens.access_token);
    expect(setup.status).toBe(200);
    const t0 = Date.now();
    const confirm = await call('POST', '/auth/mfa/totp/confirm', { code: totpCode(setup.body.secret, t0) }, tokens.access_token);
    expect([confirm.status, confirm.body.recovery_codes?.length]).toEqual([200, 10]);

    const challenge = await call('POST', '/auth/login', credentials);
    expect(challenge.body).toMatchObject({ mfa_required: true, methods: ['totp', 'recovery_code'] });
    const wrong = await call('POST', '/auth/mfa/verify', { mfa_token: challenge.body.mfa_token, code: totpCode(setup.body.secret, t0) });
    expect([wrong.status, wrong.body.code]).toEqual([401, 'invalid_mfa_code']); // that step was spent by the confirmation
    const done = await call('POST', '/auth/mfa/verify', { mfa_token: challenge.body.mfa_token, code: totpCode(setup.body.secret, t0 + 30_000) });
    expect(done.status).toBe(200);
    const viaRecovery = await call('POST', '/auth/mfa/verify', {
      mfa_token: (await call('POST', '/auth/login', credentials)).body.mfa_token,
      recovery_code: confirm.body.recovery_codes[0],
    });
    expect(viaRecovery.status).toBe(200);

    const auth = new SoftAuthenticator();
    const options = await call('POST', '/auth/passkeys/register/options', {}, done.body.access_token);
    const origin = 'http://localhost:5173'; // the default FRONTEND_URL: the relying party
    const added = await call(
      'POST',
      '/auth/passkeys/register/verify',
      { response: auth.createCredential(options.body as never, { origin }) },
      done.body.access_token,
    );
    expect(added.status).toBe(201);
    const loginOptions = await call('POST', '/auth/passkeys/login/options', {});
    const passkey = await call('POST', '/auth/passkeys/login/verify', {
      challenge_id: loginOptions.body.challenge_id,
      response: auth.getAssertion(loginOptions.body.options as never, { origin }),
    });
    expect([passkey.status, passkey.body.user?.email]).toEqual([200, credentials.email]);
    const listed = await call('GET', '/users/passkeys', undefined, passkey.body.access_token);
    expect(listed.body.items).toHaveLength(1);
  });

  it(
    'stops cleanly on SIGTERM',
    async () => {
      expect(first).toBeDefined();
      expect(await stop(first)).toBe(0);
    },
    STOP_TIMEOUT_MS + 5_000,
  );

  it(
    'keeps its data and secret across a restart and does not apply migrations twice',
    async () => {
      const before = await withDatabase(dataDir, async (db) => {
        const applied = await appliedMigrations(db);
        await db.exec(`CREATE TABLE e2e_marker (note text NOT NULL); INSERT INTO e2e_marker VALUES ('written between boots')`);
        return applied;
      });
      expect(before.map((m) => m.name)).toEqual(MIGRATIONS.map((M) => new M().name ?? M.name));

      const second = await startEmbedded(dataDir);
      expect((await new Api(second.url).ready()).status).toBe(200);
      expect(readFileSync(join(dataDir, 'jwt-secret'), 'utf8')).toBe(secret);
      expect(await stop(second)).toBe(0);

      await withDatabase(dataDir, async (db) => {
        expect(await appliedMigrations(db)).toEqual(before);
        expect((await db.query<{ note: string }>('SELECT note FROM e2e_marker')).rows).toEqual([{ note: 'written between boots' }]);
      });
    },
    2 * BOOT_TIMEOUT_MS + STOP_TIMEOUT_MS,
  );
});
