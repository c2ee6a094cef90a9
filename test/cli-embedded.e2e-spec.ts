import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliCommand, runToExit, ServerProcess, startApi, stopAll } from './support/processes';

/**
 * The operator CLI in embedded mode (no DATABASE_URL): it opens PGlite in DATA_DIR like the API,
 * so it refuses to run while the API has that directory open (PGlite would let both in and the
 * data would be corrupted), and works once the API is stopped. The embedded bootstrap admin
 * (admin@example.com) is an address the product accepts: it can ask for a reset link, and the
 * CLI's reset link gets its owner back in.
 */

const BOOT_TIMEOUT_MS = 60_000;
const CLI_TIMEOUT_MS = 60_000;

describe('Operator CLI in embedded mode', () => {
  let dataDir: string;
  let api: ServerProcess | undefined;

  /** Only what a developer sets: DATA_DIR, nothing else. */
  const env = () => ({ NODE_ENV: 'development', DATA_DIR: dataDir });
  const startEmbedded = () => startApi({ bare: true, env: { ...env(), LOG_LEVEL: 'warn' }, bootTimeoutMs: BOOT_TIMEOUT_MS });
  const cli = (...args: string[]) => runToExit(cliCommand(...args), { env: env(), timeoutMs: CLI_TIMEOUT_MS });
  const post = (path: string, body: unknown) =>
    fetch(`${api!.url}/api/v1${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-cli-embedded-'));
  });
  afterAll(async () => {
    await stopAll();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'the bootstrap admin is admin@example.com and may ask for a reset link',
    async () => {
      api = await startEmbedded();
      expect(api.output()).toMatch(/email: {4}admin@example\.com/);
      expect((await post('/auth/password-reset', { email: 'admin@example.com' })).status).toBe(202);
    },
    BOOT_TIMEOUT_MS + 10_000,
  );

  it(
    'refuses to open DATA_DIR while the API has it open, and says what to do',
    async () => {
      expect(api?.gone()).toBeUndefined();
      const res = await cli('reset-link', 'admin@example.com');
      expect([res.code, res.stdout]).toEqual([1, '']);
      expect(res.stderr).toContain(`error: The embedded database in ${dataDir} (DATA_DIR) is in use by another process (pid ${api!.pid}, apps/api)`);
      expect(res.stderr).toContain('Stop that process');
      expect(res.stderr).not.toMatch(/\s{4}at \S/);
      // and the API was not disturbed
      expect((await fetch(`${api!.url}/api/v1/health/ready`)).status).toBe(200);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'with the API stopped, prints a reset link whose token sets a new password once the API is back',
    async () => {
      expect(await api!.terminate(20_000)).toBe(0);
      expect(existsSync(join(dataDir, 'pg.lock'))).toBe(false);

      const res = await cli('reset-link', 'admin@example.com');
      expect(res.code).toBe(0);
      const token = /reset-password\?token=([A-Za-z0-9_-]+)\n$/.exec(res.stdout)?.[1];
      expect(token).toBeDefined();

      api = await startEmbedded();
      expect((await post('/auth/password-reset/complete', { token, password: 'Recovered-Horse-42' })).status).toBe(204);
      const signIn = await post('/auth/login', { email: 'admin@example.com', password: 'Recovered-Horse-42' });
      expect(signIn.status).toBe(200);
      expect(((await signIn.json()) as { user: { role: string } }).user.role).toBe('admin');
    },
    CLI_TIMEOUT_MS + BOOT_TIMEOUT_MS + 30_000,
  );
});
