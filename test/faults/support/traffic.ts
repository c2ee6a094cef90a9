import type { HttpResult } from '../../support/http-client';

/** Status counts per operation, plus a few samples of each unexpected answer for the failure message. */
export class Tally {
  readonly counts = new Map<string, Map<number, number>>();
  readonly samples: string[] = [];
  /** bodies of the 5xx answers (at most 50), to check that failures leak nothing */
  readonly errorBodies: string[] = [];

  record(op: string, r: HttpResult, expected?: number[]): void {
    let byStatus = this.counts.get(op);
    if (!byStatus) this.counts.set(op, (byStatus = new Map()));
    byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    if (r.status >= 500 && this.errorBodies.length < 50) this.errorBodies.push(r.text);
    if (expected && !expected.includes(r.status) && this.samples.length < 20) {
      this.samples.push(`${op} → ${r.status} ${r.error ?? ''} ${r.text.slice(0, 200)}`);
    }
  }

  count(op: string, status?: number): number {
    const byStatus = this.counts.get(op);
    if (!byStatus) return 0;
    if (status !== undefined) return byStatus.get(status) ?? 0;
    return [...byStatus.values()].reduce((a, b) => a + b, 0);
  }

  /** answers of `op` whose status is not in `allowed` */
  unexpected(op: string, allowed: number[]): number {
    const byStatus = this.counts.get(op);
    if (!byStatus) return 0;
    return [...byStatus.entries()].filter(([s]) => !allowed.includes(s)).reduce((a, [, n]) => a + n, 0);
  }

  serverErrors(): number {
    let n = 0;
    for (const byStatus of this.counts.values()) for (const [s, c] of byStatus) if (s >= 500 || s === 0) n += c;
    return n;
  }

  toString(): string {
    const ops = [...this.counts.entries()].map(([op, m]) => `${op}: ${[...m.entries()].map(([s, c]) => `${s}×${c}`).join(' ')}`);
    return [...ops, ...this.samples].join('\n');
  }
}

/**
 * `workers` concurrent loops calling `step` until `stop()` or `maxMs` (a hard bound: a forgotten
 * stop cannot keep a test running).
 */
export class Traffic {
  private running = false;
  private loops: Promise<void>[] = [];
  iterations = 0;

  constructor(
    private readonly workers: number,
    private readonly step: (worker: number, iteration: number) => Promise<void>,
    private readonly maxMs = 60000,
  ) {}

  start(): this {
    this.running = true;
    const deadline = Date.now() + this.maxMs;
    this.loops = Array.from({ length: this.workers }, async (_, w) => {
      while (this.running && Date.now() < deadline) {
        await this.step(w, this.iterations++);
      }
    });
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** mulberry32: a tiny seeded PRNG, so a failing fuzz run can be replayed with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
