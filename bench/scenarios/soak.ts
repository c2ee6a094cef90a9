import autocannon from 'autocannon';
import { sleep } from '../../test/support/net';
import { BenchContext } from '../lib/context';
import { PASSWORD } from '../lib/data';
import { cannon } from '../lib/load';
import { log } from '../lib/log';
import { rssMb } from '../lib/machine';
import { median, round } from '../lib/stats';
import { loginRequest } from './login';
import { refreshRequest } from './refresh';
import { registerRequest } from './register';

interface Sample {
  t: number;
  rssMb: number;
  heapMb?: number;
}

export interface SoakResult {
  minutes: number;
  baselineMb: number;
  endMb: number;
  growthPct: number;
  pointBaselineMb: number;
  pointEndMb: number;
  pointGrowthPct: number;
  heapFloorFirstMb: number | null;
  heapFloorLastMb: number | null;
  requests: number;
  failed: number;
  samples: Sample[];
}

/**
 * Mixed load for --soak-minutes. Every 5 s: the server's RSS (/proc) and V8 heap used
 * (/health/detailed). One RSS sample swings by ±10 % with the phase of V8's garbage collection,
 * more than the growth being measured, so growth compares window medians: the second minute of
 * load (after warm-up) against the last minute of load. Also reported: the same from single
 * samples (first sample after one minute → 5 s after the load), and the lowest heap used in each
 * window (what survives collection: it keeps rising when something leaks).
 */
export async function soak(ctx: BenchContext): Promise<SoakResult> {
  const seconds = Math.max(120, Math.round(ctx.options.soakMinutes * 60));
  log(`• soak: ${round(seconds / 60)} min of mixed load (me, refresh, login, register, admin list)`);
  const samples: Sample[] = [];
  const started = Date.now();
  const sample = async () => {
    const t = Math.round((Date.now() - started) / 1000);
    const rss = round(rssMb(ctx.product.pid));
    const h = await ctx.api.detailedHealth(ctx.healthToken, 30000);
    const heap = h.body?.checks?.memory?.heap_used_mb;
    samples.push({ t, rssMb: rss, ...(typeof heap === 'number' ? { heapMb: heap } : {}) });
  };
  const sampler = setInterval(() => void sample(), 5000);
  let streams: autocannon.Result[];
  try {
    streams = await mixedLoad(ctx, seconds);
  } finally {
    clearInterval(sampler);
  }
  await sleep(5000);
  return analyse(seconds, samples, round(rssMb(ctx.product.pid)), streams);
}

/** /auth/me, refresh, login, register and an admin listing at once, each at a fixed rate. */
async function mixedLoad(ctx: BenchContext, seconds: number): Promise<autocannon.Result[]> {
  const { url } = ctx.product;
  let n = 0;
  let chain = (await ctx.api.signIn('login3@bench.test', PASSWORD)).refresh_token;
  const refresh = refreshRequest(
    () => chain,
    (status, body) => {
      if (status === 200) chain = JSON.parse(String(body)).refresh_token;
    },
  );
  return Promise.all([
    cannon(url, { connections: 4, overallRate: 400, path: '/api/v1/auth/me', headers: { authorization: `Bearer ${ctx.me.access_token}` } }, seconds),
    cannon(url, { connections: 1, overallRate: 100, requests: [refresh] }, seconds),
    cannon(url, { connections: 2, overallRate: 5, requests: [loginRequest(() => n++)] }, seconds),
    cannon(url, { connections: 1, overallRate: 2, requests: [registerRequest(() => `soak-${Date.now()}-${n++}@bench.test`)] }, seconds),
    cannon(
      url,
      { connections: 1, overallRate: 20, path: '/api/v1/admin/users?limit=20', headers: { authorization: `Bearer ${ctx.admin.access_token}` } },
      seconds,
    ),
  ]);
}

function analyse(seconds: number, samples: Sample[], after: number, streams: autocannon.Result[]): SoakResult {
  const inWindow = (from: number, to: number) => samples.filter((x) => x.t >= from && x.t < to);
  const first = inWindow(60, 120);
  const last = inWindow(seconds - 60, seconds + 1);
  const baselineMb = round(median(first.map((x) => x.rssMb)));
  const endMb = round(median(last.map((x) => x.rssMb)));
  const growthPct = round(((endMb - baselineMb) / baselineMb) * 100, 1);
  const pointBaseline = first[0]?.rssMb ?? samples[0]?.rssMb ?? after;
  const pointGrowthPct = round(((after - pointBaseline) / pointBaseline) * 100, 1);
  const heapFloorFirstMb = heapFloor(first);
  const heapFloorLastMb = heapFloor(last);
  const requests = streams.reduce((a, r) => a + (r.requests.total ?? 0), 0);
  const failed = streams.reduce((a, r) => a + r.non2xx + r.errors, 0);
  log(
    `  RSS median ${baselineMb} MB in the 2nd minute → ${endMb} MB in the last minute (${growthPct} %); single samples ${pointBaseline} → ${after} MB (${pointGrowthPct} %); ` +
      `heap floor ${heapFloorFirstMb} → ${heapFloorLastMb} MB; peak RSS ${Math.max(...samples.map((x) => x.rssMb))} MB; ${requests} requests, ${failed} not 2xx`,
  );
  return {
    minutes: round(seconds / 60),
    baselineMb,
    endMb,
    growthPct,
    pointBaselineMb: pointBaseline,
    pointEndMb: after,
    pointGrowthPct,
    heapFloorFirstMb,
    heapFloorLastMb,
    requests,
    failed,
    samples,
  };
}

/** the lowest heap used in a window: what survives collection */
function heapFloor(xs: Sample[]): number | null {
  const heaps = xs.map((x) => x.heapMb).filter((x): x is number => typeof x === 'number');
  return heaps.length ? round(Math.min(...heaps)) : null;
}
