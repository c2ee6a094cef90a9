import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../test/support/processes';
import { Extra } from './context';
import { log } from './log';
import { Machine } from './machine';
import { Measured } from './measure';
import { pairedRatio, round } from './stats';

export interface Target {
  name: string;
  value: number | null;
  verdict: 'PASS' | 'FAIL' | 'NOT RUN';
  shown: string;
}

function target(name: string, value: number | undefined, ok: (v: number) => boolean, show: (v: number) => string): Target {
  if (value === undefined || Number.isNaN(value)) return { name, value: null, verdict: 'NOT RUN', shown: '' };
  return { name, value: round(value, 3), verdict: ok(value) ? 'PASS' : 'FAIL', shown: show(round(value, 3)) };
}

/** The targets, each judged on what this run measured (NOT RUN where it did not measure it). */
export function verdicts(r: Record<string, Measured>, extra: Extra, soakMinutes: number): Target[] {
  const lag = extra.loginEventLoopLagP99Ms ?? extra.loginProbeMeP99Ms;
  const ratio = (v: number, what: string) => `${round(v * 100)} % (median of the per-round ratios; medians ${what})`;
  return [
    target(
      '/auth/me ≥ 60 % of (b)',
      pairedRatio(r.me, r['ceiling-guarded']),
      (v) => v >= 0.6,
      (v) => ratio(v, `${r.me?.rps} / ${r['ceiling-guarded']?.rps} req/s`),
    ),
    target(
      'login ≥ 90 % of (d)',
      pairedRatio(r.login, r.argon2),
      (v) => v >= 0.9,
      (v) => ratio(v, `${r.login?.rps} / ${r.argon2?.rps} per s`),
    ),
    target(
      'event-loop p99 lag < 50 ms during the login flood',
      r.login ? lag : undefined,
      (v) => v < 50,
      (v) => `${v} ms (${extra.loginEventLoopLagP99Ms != null ? '/health/detailed event_loop.lag_ms' : '/auth/me probe p99 as proxy'})`,
    ),
    target(
      'refresh ≥ 1,000 req/s on one core',
      r.refresh?.rps,
      (v) => v >= 1000,
      (v) => `${v} req/s`,
    ),
    target(
      'admin users p99 < 20 ms',
      r['admin-users']?.p99,
      (v) => v < 20,
      (v) => `${v} ms (${extra.volume})`,
    ),
    target(
      'admin audit-logs p99 < 20 ms',
      r['admin-audit-logs']?.p99,
      (v) => v < 20,
      (v) => `${v} ms`,
    ),
    target(
      'idle RSS < 150 MB',
      extra.idleRssMb,
      (v) => v < 150,
      (v) => `${v} MB`,
    ),
    target(
      'RSS growth ≤ 5 % over the mixed soak',
      extra.soak?.growthPct,
      (v) => v <= 5,
      (v) => `${v} % over ${soakMinutes} min (median of the 2nd vs the last minute)`,
    ),
  ];
}

export interface Report {
  date: string;
  mode: 'quick' | 'full';
  runs: number;
  durationS: number;
  warmupS: number;
  machine: Machine;
  pinning: { server: string; load: string };
  results: Record<string, Measured>;
  extra: Extra;
  targets: Target[];
}

export function writeReport(report: Report): void {
  writeFileSync(join(ROOT, 'bench/results.json'), `${JSON.stringify(report, null, 2)}\n`);
}

/** The table of scenarios, the verdicts and the machine they hold for. */
export function printReport({ results, targets, machine, extra }: Report): void {
  const cell = (n: number) => String(Number.isNaN(n) ? '-' : n);
  log('');
  log(`${'scenario'.padEnd(58)} ${'req/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'non2xx'.padStart(7)} ${'conns'.padStart(5)}`);
  for (const m of Object.values(results)) {
    log(
      `${m.name.slice(0, 58).padEnd(58)} ${String(m.rps).padStart(9)} ${cell(m.p50).padStart(8)} ${cell(m.p99).padStart(8)} ${String(m.non2xx).padStart(7)} ${String(m.connections).padStart(5)}`,
    );
  }
  log('');
  for (const t of targets) log(`${t.verdict.padEnd(8)} ${t.name.padEnd(50)} ${t.shown}`);
  log('');
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, PostgreSQL ${machine.postgres}; load average ${machine.loadAvgBefore.join('/')} → ${machine.loadAvgAfter.join('/')}`,
  );
  log(`idle RSS ${extra.idleRssMb} MB; idle after all runs (login floods included) ${extra.rssAfterRunsMb} MB; server exit code ${extra.serverExitCode}`);
  log('results written to bench/results.json');
}
