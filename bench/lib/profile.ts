import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../test/support/processes';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples: number[];
}

/** Where the server writes its --cpu-prof profile (--profile). */
export function makeProfileDir(): string {
  const dir = join(os.tmpdir(), `idp-bench-profiles-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The newest profile in `dir`: the top self-time functions and packages, idle left out. */
export function summariseProfiles(dir: string): string[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  if (!files.length) return ['(no profile written)'];
  const latest = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  const profile = JSON.parse(readFileSync(latest, 'utf8')) as CpuProfile;
  const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length) / 1000; // ms
  const byFn = new Map<string, number>();
  const byModule = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits || n.callFrame.functionName === '(idle)') continue;
    total += hits;
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url.replace(/^file:\/\//, '').replace(ROOT, '.');
    const fn = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
    const mod = packageOf(where, functionName);
    byModule.set(mod, (byModule.get(mod) ?? 0) + hits);
  }
  const pct = (h: number) => `${((h / total) * 100).toFixed(1)}%`;
  const top = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, h]) => `  ${pct(h).padStart(6)}  ${k}`);
  return [
    `profile ${latest}: ${total} busy samples of ${interval.toFixed(2)} ms (idle left out)`,
    'top self time by function:',
    ...top(byFn, 25),
    'self time by package:',
    ...top(byModule, 15),
  ];
}

function packageOf(where: string, functionName: string): string {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where)?.[1];
  if (pkg) return pkg;
  if (where.startsWith('./dist')) return 'product (dist)';
  if (where.startsWith('node:')) return where.split('/')[0];
  return functionName.startsWith('(') ? functionName : where || '(native)';
}
