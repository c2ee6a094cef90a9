import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { sleep } from '../../test/support/net';
import { round } from './stats';

/** The server (the API and the ceilings) on one core, the load generator on the other. */
export const SERVER_CORE = '0';
export const LOAD_CORE = '1';

const hasTaskset = () => spawnSync('taskset', ['-V']).status === 0;

/** The command prefix that pins a child to `core`; none without taskset or a second core. */
export const pinned = (core: string) => (hasTaskset() && os.cpus().length >= 2 ? ['taskset', '-c', core] : []);

export function allowedCpus(): string {
  const m = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m?.[1] ?? '?';
}

/**
 * The load runs on the other core than the server: re-executes this process under taskset once.
 * True when the pinned copy took over (it decides this process's exit code).
 */
export function reexecutePinned(argv: string[]): boolean {
  if (process.env.BENCH_PINNED === '1' || !pinned(LOAD_CORE).length) return false;
  const child = spawn('taskset', ['-c', LOAD_CORE, process.execPath, ...process.execArgv, process.argv[1], ...argv], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_PINNED: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.once('exit', (code) => process.exit(code ?? 1));
  return true;
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * RSS of the server once idle: V8 hands memory back only after its memory reducer has seen the
 * process quiet for a while (about 30 s here), so read VmRSS after 30 s (quick) / 45 s of idling.
 */
export async function idleRss(pid: number, quick: boolean): Promise<number> {
  await sleep(quick ? 30000 : 45000);
  return round(rssMb(pid));
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  kernel: string;
  node: string;
  postgres: string;
  loadAvgBefore: number[];
  loadAvgAfter: number[];
}

export function describeMachine(postgres: string, loadAvgBefore: number[]): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? '?',
    cores: os.cpus().length,
    memoryGb: round(os.totalmem() / 1024 ** 3),
    kernel: os.release(),
    node: process.version,
    postgres,
    loadAvgBefore: loadAvgBefore.map((x) => round(x, 2)),
    loadAvgAfter: os.loadavg().map((x) => round(x, 2)),
  };
}
