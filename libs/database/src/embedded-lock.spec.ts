import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDatabaseBusyError, lockEmbeddedDatabase } from './embedded-lock';

describe('the embedded database lock (one process per DATA_DIR)', () => {
  let dir: string;
  let pg: string;
  let other: ChildProcess | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idp-lock-'));
    pg = join(dir, 'pg');
  });
  afterEach(() => {
    other?.kill('SIGKILL');
    other = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const holdBy = (pid: number, host = hostname()) => writeFileSync(`${pg}.lock`, JSON.stringify({ pid, host, command: 'apps/api' }));

  it('is taken with this process as holder and given back on release', () => {
    const release = lockEmbeddedDatabase(pg, dir);
    expect(JSON.parse(readFileSync(`${pg}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    release();
    expect(existsSync(`${pg}.lock`)).toBe(false);
  });

  it('refuses while another live process holds it, naming DATA_DIR, the holder and what to do', () => {
    other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    holdBy(other.pid!);
    let error: unknown;
    try {
      lockEmbeddedDatabase(pg, dir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EmbeddedDatabaseBusyError);
    expect((error as Error).message).toContain(`The embedded database in ${dir} (DATA_DIR) is in use by another process (pid ${other.pid}, apps/api)`);
    expect((error as Error).message).toMatch(/Stop that process .* or set DATABASE_URL/);
  });

  it('takes over the lock of a process that is gone', async () => {
    other = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    const pid = other.pid!;
    await new Promise((resolve) => other!.once('exit', resolve));
    holdBy(pid);
    lockEmbeddedDatabase(pg, dir)();
  });

  it("counts another machine's lock as held (its process cannot be checked from here)", () => {
    holdBy(process.pid, 'some-other-host');
    expect(() => lockEmbeddedDatabase(pg, dir)).toThrow(EmbeddedDatabaseBusyError);
  });
});
