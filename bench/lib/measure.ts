import autocannon from 'autocannon';
import { cannon, Shape } from './load';
import { log } from './log';
import { median, round } from './stats';

/** One scenario's figures: medians of its runs, and the runs themselves (ratios pair them round by round). */
export interface Measured {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  runs: number[];
  p99s: number[];
  non2xx: number;
  errors: number;
  connections: number;
  note?: string;
}

/** Load that runs beside a measured run (probes, samplers); `stop` may return a note for the results. */
export type During = () => { stop: () => Promise<string | undefined> };

/** One scenario: HTTP load with autocannon, or (`perSecond`) a measurement of its own (argon2). */
export interface Spec {
  name: string;
  url?: string;
  shape?: () => Shape;
  during?: During;
  /** one fixed-duration run of a non-HTTP ceiling: operations per second */
  perSecond?: (seconds: number) => Promise<{ perSecond: number; concurrency: number }>;
}

interface Run {
  rps: number;
  result?: autocannon.Result;
  concurrency?: number;
  note?: string;
}

export interface Timing {
  warmupS: number;
  durationS: number;
  runs: number;
}

export class Measurer {
  /** `gone` says why the product server no longer runs (undefined while it does) */
  constructor(
    private readonly timing: Timing,
    private readonly gone: () => string | undefined,
  ) {}

  /**
   * Warm-up of each, then `runs` rounds in which each scenario runs once, in turn; the median of each
   * scenario's runs. Scenarios whose ratio is a target run alternately like this, so a slow spell
   * of this (shared, noisy) machine hits both sides of the ratio, not one.
   */
  async alternating(specs: Spec[]): Promise<Measured[]> {
    const { warmupS, durationS, runs: rounds } = this.timing;
    log(
      `• ${specs.map((s) => s.name).join(' ⇄ ')}: warm-up ${warmupS} s each, then ${rounds} rounds of ${durationS} s${specs.length > 1 ? ' each, alternating' : ''}`,
    );
    for (const spec of specs) await this.warmUp(spec);
    const runs = specs.map(() => [] as Run[]);
    for (let i = 0; i < rounds; i++) {
      for (const [k, spec] of specs.entries()) {
        runs[k].push(await this.runOnce(spec));
        const gone = this.gone();
        if (gone) throw new Error(`${gone} during "${spec.name}": stopped from outside this run? (see bench/server.log)`);
      }
    }
    return specs.map((spec, k) => summarise(spec, runs[k]));
  }

  /** warm-up, then `runs` fixed-duration runs; the median of the runs */
  async one(name: string, url: string, shape: () => Shape, during?: During): Promise<Measured> {
    return (await this.alternating([{ name, url, shape, during }]))[0];
  }

  private async warmUp(spec: Spec): Promise<void> {
    const { warmupS } = this.timing;
    if (spec.perSecond) await spec.perSecond(Math.min(warmupS, 2));
    else await cannon(spec.url!, spec.shape!(), warmupS);
  }

  private async runOnce(spec: Spec): Promise<Run> {
    const { durationS } = this.timing;
    if (spec.perSecond) {
      const r = await spec.perSecond(durationS);
      return { rps: r.perSecond, concurrency: r.concurrency };
    }
    const side = spec.during?.();
    const started = performance.now();
    const r = await cannon(spec.url!, spec.shape!(), durationS);
    const elapsed = (performance.now() - started) / 1000;
    // completed requests per second of the run (not autocannon's per-second sample mean)
    return { rps: (r.requests.total ?? 0) / Math.max(elapsed, 0.001), result: r, note: await side?.stop() };
  }
}

function summarise(spec: Spec, runs: Run[]): Measured {
  const http = runs.map((r) => r.result).filter((r): r is autocannon.Result => !!r);
  const errors = http.reduce((a, r) => a + r.errors, 0);
  const note = flagInvalid(
    http,
    errors,
    runs
      .map((r) => r.note)
      .filter(Boolean)
      .pop(),
  );
  const result: Measured = {
    name: spec.name,
    rps: round(median(runs.map((r) => r.rps))),
    p50: http.length ? round(median(http.map((r) => r.latency.p50)), 2) : NaN,
    p99: http.length ? round(median(http.map((r) => r.latency.p99)), 2) : NaN,
    runs: runs.map((r) => round(r.rps)),
    p99s: http.map((r) => round(r.latency.p99, 2)),
    non2xx: http.reduce((a, r) => a + r.non2xx, 0),
    errors,
    connections: spec.perSecond ? (runs[0]?.concurrency ?? 0) : (spec.shape!().connections ?? 10),
    note,
  };
  const latency = http.length
    ? `, p50 ${result.p50} ms, p99 ${result.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`
    : `, concurrency ${result.connections}`;
  log(`  ${result.name}: ${result.rps} ${spec.perSecond ? 'per s' : 'req/s'} (runs ${result.runs.join(', ')})${latency}${note ? `; ${note}` : ''}`);
  return result;
}

/** `note`, marked INVALID when more than 1 % of the requests failed: such figures measure the failures. */
function flagInvalid(http: autocannon.Result[], errors: number, note: string | undefined): string | undefined {
  const total = http.reduce((a, r) => a + (r.requests.total ?? 0), 0) + errors;
  const bad = http.reduce((a, r) => a + r.non2xx, 0) + errors;
  if (bad <= total * 0.01) return note;
  const codes = http.flatMap((r) => Object.entries(r.statusCodeStats ?? {}).map(([c, v]) => `${c}×${v.count}`)).join(' ');
  return `INVALID: ${round((bad / Math.max(1, total)) * 100)} % of the requests failed (${errors} connection errors; statuses ${codes || 'none'})${note ? `; ${note}` : ''}`;
}
