import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { baseTestEnv } from './env';
import { freePort, waitFor, waitForHttp } from './net';

export const ROOT = join(__dirname, '..', '..');

/**
 * The processes the suites and the bench start: API nodes, private redis-servers, the bench's
 * ceilings. Every child is registered, so `stopAll()` in afterAll — and, as a last resort, this
 * process's exit — kills whatever is still running.
 */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function tracked<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function stopAll(): Promise<void> {
  await Promise.all(
    [...children].map(async (c) => {
      c.kill('SIGKILL');
      await exited(c, 5000);
    }),
  );
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

/** A Node.js command: node's arguments (the script included) and the variables it needs. */
export interface NodeCommand {
  args: string[];
  env: Record<string, string>;
}

/** A TypeScript file of this repository through ts-node + swc: no build, no type-check, ~2 s to boot. */
export function tsNode(script: string, ...scriptArgs: string[]): NodeCommand {
  return { args: ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', script, ...scriptArgs], env: { TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_SWC: '1' } };
}

export const API_DIST_MAIN = join(ROOT, 'dist/apps/api/apps/api/src/main.js');

/**
 * The suites run the source: always the current code, and no race with a concurrent `nest build`
 * deleting dist/. The bench runs the production build (`npm run build`), as deployed.
 */
function apiCommand(from: 'source' | 'dist'): NodeCommand {
  return from === 'dist' ? { args: [API_DIST_MAIN], env: {} } : tsNode('apps/api/src/main.ts');
}

/** The last lines a child wrote, for failure messages. */
class Tail {
  private lines: string[] = [];
  constructor(private readonly max = 200) {}
  push(chunk: Buffer | string): void {
    this.lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (this.lines.length > this.max) this.lines = this.lines.slice(-this.max);
  }
  toString(): string {
    return this.lines.join('\n');
  }
}

export interface ServerOptions {
  /** how failure messages name it */
  name: string;
  command: NodeCommand;
  /** the child's variables on top of the command's, PATH and PORT: nothing else is inherited */
  env: (url: string) => Record<string, string>;
  /** answers 200 once the server is up */
  readyPath: string;
  /** in front of node, e.g. `taskset -c 0` */
  prefix?: string[];
  /** node's own options, before the script (e.g. --cpu-prof) */
  nodeArgs?: string[];
  /**
   * The output goes straight into this file (appended), not through a pipe this process would
   * have to drain: a load generator is too busy for that.
   */
  logFile?: string;
  bootTimeoutMs?: number;
  /** lines of output kept in memory for failure messages (without `logFile`) */
  keepLines?: number;
}

/**
 * Whether process `pid` holds the listening TCP socket of `port` (Linux /proc: the socket inodes of
 * its descriptors against the LISTEN entries of /proc/net/tcp and tcp6); undefined where /proc
 * cannot tell.
 */
function listensOn(pid: number, port: number): boolean | undefined {
  try {
    if (!existsSync('/proc/net/tcp')) return undefined;
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const listening = new Set<string>();
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!existsSync(table)) continue;
      for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        if (f.length > 9 && f[1].endsWith(`:${hexPort}`) && f[3] === '0A') listening.add(f[9]);
      }
    }
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' }))?.[1];
      if (inode && listening.has(inode)) return true;
    }
    return false;
  } catch {
    return undefined;
  }
}

/** A server in a process of its own on a free port of 127.0.0.1, up once it answers `readyPath`. */
export class ServerProcess {
  private readonly tail: Tail;
  private readonly exit: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    private readonly options: ServerOptions,
  ) {
    this.tail = new Tail(options.keepLines ?? 300);
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdout?.on('data', (d: Buffer) => this.tail.push(d));
    child.stderr?.on('data', (d: Buffer) => this.tail.push(d));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get pid(): number {
    return this.child.pid!;
  }

  static async start(options: ServerOptions): Promise<ServerProcess> {
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = ServerProcess.spawn(options, await freePort());
      try {
        await server.waitUntilUp();
        // another suite's server may have taken the port between freePort() and this one's listen
        // and answered the probe (this one then dies of EADDRINUSE): only our own listener counts
        if (listensOn(server.pid, server.port) === false) {
          lastError = new Error(`${options.name}: port ${server.port} is another process's`);
          await server.stop();
          continue;
        }
        return server;
      } catch (err) {
        lastError = err as Error;
        await server.stop();
        // someone bound the port between freePort() and the server's listen: another port
        if (!/EADDRINUSE/.test(server.output())) break;
      }
    }
    throw lastError;
  }

  private static spawn(options: ServerOptions, port: number): ServerProcess {
    const url = `http://127.0.0.1:${port}`;
    const cmd = [...(options.prefix ?? []), process.execPath, ...(options.nodeArgs ?? []), ...options.command.args];
    const out = options.logFile ? openSync(options.logFile, 'a') : 'pipe';
    const child = spawn(cmd[0], cmd.slice(1), {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...options.command.env, ...options.env(url), PORT: String(port) },
      stdio: ['ignore', out, out],
    });
    if (typeof out === 'number') closeSync(out);
    return new ServerProcess(tracked(child), port, options);
  }

  private async waitUntilUp(): Promise<void> {
    try {
      await waitForHttp(this.url, this.options.readyPath, { timeoutMs: this.options.bootTimeoutMs ?? 45000, gone: () => this.gone() });
    } catch (err) {
      throw new Error(`${this.options.name} did not start: ${(err as Error).message}\n${this.output()}`, { cause: err });
    }
  }

  /** The last lines the server wrote (read back from `logFile` when it writes there). */
  output(): string {
    const { logFile, keepLines = 300 } = this.options;
    if (!logFile) return this.tail.toString();
    const tail = new Tail(keepLines);
    tail.push(readFileSync(logFile, 'utf8'));
    return tail.toString();
  }

  /** Why the server is no longer running; undefined while it runs. */
  gone(): string | undefined {
    const { exitCode, signalCode } = this.child;
    return exitCode !== null || signalCode !== null ? `${this.options.name} exited (code ${exitCode}, signal ${signalCode})` : undefined;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves the exit code, or null if the process is still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL if it still runs after `timeoutMs`; resolves the exit code (null when killed). */
  async terminate(timeoutMs: number): Promise<number | null> {
    if (this.gone()) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }

  /** SIGKILL: no goodbye to the clients. */
  async stop(): Promise<void> {
    if (this.gone()) return;
    this.child.kill('SIGKILL');
    await exited(this.child, 5000);
  }
}

export interface ApiOptions extends Omit<ServerOptions, 'name' | 'command' | 'env' | 'readyPath'> {
  /** this node's variables, on top of test/support/env baseTestEnv() unless `bare` */
  env: Record<string, string> | ((url: string) => Record<string, string>);
  /** only `env`: what a developer or an operator would set, none of the test defaults */
  bare?: boolean;
  /** 'dist': the production build as `npm run build` left it; the source by default */
  from?: 'source' | 'dist';
}

/** One API node in its own process, exactly as `npm start` (or, built, `npm run start:prod`) runs it. */
export function startApi(options: ApiOptions): Promise<ServerProcess> {
  const { env, bare, from = 'source', ...rest } = options;
  const defaults = bare ? {} : { ...baseTestEnv(), LOG_LEVEL: 'warn' };
  return ServerProcess.start({
    ...rest,
    name: 'the API',
    command: apiCommand(from),
    readyPath: '/health',
    env: (url) => ({ ...defaults, ...(typeof env === 'function' ? env(url) : env) }),
  });
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** the variables on top of PATH and the command's: nothing else is inherited */
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** in front of node, e.g. `taskset -c 0` */
  prefix?: string[];
  /** written to the child's standard input, which is then closed (default: no standard input) */
  input?: string;
}

/** Runs `command` to its end; rejects (and kills it) when it still runs after `timeoutMs`. */
export function runToExit(command: NodeCommand, options: RunOptions): Promise<Finished> {
  const cmd = [...(options.prefix ?? []), process.execPath, ...command.args];
  return new Promise((resolve, reject) => {
    const child = tracked(
      spawn(cmd[0], cmd.slice(1), {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...command.env, ...options.env },
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      }),
    );
    if (options.input !== undefined) child.stdin!.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command.args.join(' ')} did not exit within ${options.timeoutMs} ms; stderr: ${stderr}`));
    }, options.timeoutMs);
    // 'close', not 'exit': the output is complete only once the pipes are drained
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

/** The operator CLI (the source, as `npm run cli` runs it built) with `args`. */
export function cliCommand(...args: string[]): NodeCommand {
  return tsNode('apps/cli/src/main.ts', ...args);
}

/** Runs the API entry point (the source) with exactly `env`, to its end. */
export function runMain(env: Record<string, string>, timeoutMs = 20000): Promise<Finished> {
  return runToExit(apiCommand('source'), { env, timeoutMs });
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
      const child = tracked(
        spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      child.stdout.on('data', (d) => this.log.push(d));
      child.stderr.on('data', (d) => this.log.push(d));
      try {
        await waitFor('redis-server', () => redisPing(port), 5000, 50);
        this.child = child;
        this.port = port;
        return;
      } catch {
        child.kill('SIGKILL');
        await exited(child, 2000);
        if (attempt >= 2) throw new Error(`redis-server did not start on ${port}: ${this.log}`);
      }
    }
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing answers, the data is kept. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }
  /** Lets a paused server go on (SIGCONT) with the data it had. */
  resume(): void {
    this.child?.kill('SIGCONT');
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
