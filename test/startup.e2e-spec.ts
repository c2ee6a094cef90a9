import { spawnSync } from 'node:child_process';
import { TEST_JWT_SECRET, TEST_KEY_ENCRYPTION_SECRET, TEST_REDIS_URL } from './support/env';
import { freePort } from './support/net';
import { ROOT, runMain, stopAll, tsNode } from './support/processes';

/**
 * A start that fails says why in one log line, in the format of every other line (JSON unless
 * pretty was asked for or it is development on a terminal), on stderr, exit code 1: the variable
 * and its expected form for a bad configuration; DATABASE_URL's host and port and the driver's
 * reason for an unreachable database. Never a stack trace, never the password.
 */

/** A stack frame, raw or inside a JSON string. */
const STACK_FRAME = /\s{4}at \S/;

interface LogLine {
  level: number;
  context?: string;
  msg: string;
}

function jsonLines(text: string): LogLine[] {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
}

afterAll(() => stopAll());

describe('Startup failures', () => {
  it('PORT=abc: one fatal JSON line naming PORT and the expected form', async () => {
    const { code, stdout, stderr } = await runMain({ PORT: 'abc' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(jsonLines(stderr)).toEqual([
      expect.objectContaining({ level: 60, context: 'Bootstrap', msg: 'Invalid configuration: PORT must be an integer 1–65535 (got "abc")' }),
    ]);
    expect(stderr).not.toMatch(STACK_FRAME);
  });

  it('LOG_FORMAT=pretty: the same failure as a readable line', async () => {
    const { code, stderr } = await runMain({ PORT: '70000', LOG_FORMAT: 'pretty' });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] FATAL: \[Bootstrap\] Invalid configuration: PORT must be an integer 1–65535 \(got "70000"\)$/);
  });

  it('an unreachable DATABASE_URL: host and port and the reason, no stack, no password', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await runMain(
      {
        NODE_ENV: 'production',
        DATABASE_URL: `postgres://bob:hunter2-secret@127.0.0.1:${port}/identity`,
        REDIS_URL: TEST_REDIS_URL,
        JWT_SECRET: TEST_JWT_SECRET,
        KEY_ENCRYPTION_SECRET: TEST_KEY_ENCRYPTION_SECRET,
        PORT: String(await freePort()),
      },
      30_000,
    );
    expect(code).toBe(1);
    const fatal = jsonLines(stderr);
    expect(fatal).toEqual([
      expect.objectContaining({
        level: 60,
        context: 'Bootstrap',
        msg: `Cannot connect to the database at 127.0.0.1:${port} (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:${port}`,
      }),
    ]);
    // the attempts before it are warnings of the same shape, in the application log
    const retries = jsonLines(stdout).filter((l) => l.context === 'Database');
    expect(retries).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringContaining(`127.0.0.1:${port} (DATABASE_URL): connect ECONNREFUSED`) }),
      expect.objectContaining({ level: 40, msg: expect.stringContaining('attempt 2 of 3') }),
    ]);
    for (const output of [stdout, stderr]) {
      expect(output).not.toMatch(STACK_FRAME);
      expect(output).not.toContain('hunter2');
      expect(output).not.toContain('bob');
    }
  }, 40_000);

  it('in development on a terminal the default is pretty (stdout and stderr are a TTY)', () => {
    // util-linux `script` runs the command on a pseudo-terminal
    const { args, env } = tsNode('apps/api/src/main.ts');
    const command = [process.execPath, ...args].map((a) => `'${a}'`).join(' ');
    const run = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env, NODE_ENV: 'development', PORT: 'abc', TERM: 'dumb' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    // eslint-disable-next-line no-control-regex -- colours are part of what a terminal gets
    const text = run.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    expect(text).toMatch(/FATAL: \[Bootstrap\] Invalid configuration: PORT must be an integer 1–65535 \(got "abc"\)/);
    expect(text).not.toContain('{"level"');
  });
});
