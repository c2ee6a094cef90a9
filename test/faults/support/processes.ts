import { ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { baseTestEnv } from '../../support/env';
import { ROOT } from '../../support/spawn';
import { send } from './http-client';

/**
 * Processes a fault scenario owns: its own redis-server and its own API nodes, started from
 * apps/api/src/main.ts through ts-node + swc (always the current source, ~2 s to boot, and no race
 * with a concurrent `nest build` deleting dist/). Every child is registered, so `stopAll()` in
 * afterAll — and, as a last resort, the test process's exit — kills whatever is still running.
 */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export async function stopAll(): Promise<void> {
  await Promise.all(
    [...children].map(async (c) => {
      c.kill('SIGKILL');
      await exited(c, 5000);
    }),
  );
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true or `timeoutMs` passes; resolves how long it took (ms). */
export async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = 15000, everyMs = 100): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await probe().catch(() => false)) return Date.now() - started;
    await sleep(everyMs);
  }
  throw new Error(`${what}: not reached within ${timeoutMs} ms`);
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** The last lines a child wrote, for failure messages. */
class Tail {
  private lines: string[] = [];
  constructor(private readonly max = 200) {}
  push(chunk: Buffer): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (this.lines.length > this.max) this.lines = this.lines.slice(-this.max);
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

/** A private, non-persistent redis-server on a free port; can be killed and restarted on the same port. */
export class RedisServer {
  private child?: ChildProcess;
  private readonly log = new Tail(50);
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  static async start(): Promise<RedisServer> {
    const server = new RedisServer();
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const port = this.port || (await freePort());
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      child.stdout!.on('data', (d) => this.log.push(d));
      child.stderr!.on('data', (d) => this.log.push(d));
      try {
        await waitFor('redis-server', () => redisPing(port), 5000, 50);
        this.child = child;
        this.port = port;
        return;
      } catch (err) {
        child.kill('SIGKILL');
        await exited(child, 2000);
        if (attempt >= 2) throw new Error(`redis-server did not start on ${port}: ${this.log}`);
      }
    }
  }

  /** Kills the server (SIGKILL by default: no goodbye to the clients). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.kill(signal);
    await exited(child, 5000);
  }

  stop(): Promise<void> {
    return this.kill('SIGKILL');
  }
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => {
      reply += d;
      if (reply.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(reply.startsWith('+PONG')));
    socket.on('error', () => resolve(false));
  });
}

export interface ApiOptions {
  /** on top of test/support/env baseTestEnv(); DATABASE_URL and REDIS_URL are required */
  env: Record<string, string>;
  bootTimeoutMs?: number;
}

/** One API node: apps/api/src/main.ts in its own process, exactly as `npm start` runs it. */
export class ApiProcess {
  readonly log = new Tail(300);
  private exitCode: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exitCode = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get pid(): number {
    return this.child.pid!;
  }

  static async start(options: ApiOptions): Promise<ApiProcess> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const child = spawn(process.execPath, ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          TS_NODE_TRANSPILE_ONLY: '1',
          TS_NODE_SWC: '1',
          ...baseTestEnv(),
          LOG_LEVEL: 'warn',
          ...options.env,
          PORT: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      const api = new ApiProcess(child, port);
      child.stdout!.on('data', (d) => api.log.push(d));
      child.stderr!.on('data', (d) => api.log.push(d));
      try {
        await api.waitUntilUp(options.bootTimeoutMs ?? 45000);
        return api;
      } catch (err) {
        lastError = err as Error;
        child.kill('SIGKILL');
        await exited(child, 2000);
        if (!/EADDRINUSE/.test(api.log.toString())) break;
      }
    }
    throw lastError;
  }

  private async waitUntilUp(timeoutMs: number): Promise<void> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      if (this.child.exitCode !== null) throw new Error(`API exited with ${this.child.exitCode} while starting:\n${this.log}`);
      const res = await send(this.url, { path: '/health', timeoutMs: 1000 });
      if (res.status === 200) return;
      await sleep(100);
    }
    throw new Error(`API did not answer /health within ${timeoutMs} ms:\n${this.log}`);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves the exit code, or null if the process is still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    try {
      return await Promise.race([this.exitCode, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await exited(this.child, 5000);
  }
}
