import type { Logger } from '@nestjs/common';

/**
 * A background pass that a node runs on a schedule (outbox delivery, the purge, the access-change
 * replay). `runOnce()` runs the pass, or joins the one in flight, so passes never overlap;
 * `start(everyMs, firstAfterMs)` schedules them, each `everyMs` after the previous one ended;
 * `stop()` cancels the schedule and waits for a pass in flight. A failing pass is logged once and
 * its recovery once, not on every retry.
 */
export class PeriodicJob<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<T>;
  private failing = false;
  private stopping = false;

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
    private readonly pass: () => Promise<T>,
  ) {}

  /** true once `stop()` was called: a long pass checks it between batches to end early. */
  get stopped(): boolean {
    return this.stopping;
  }

  start(everyMs: number, firstAfterMs = 0): void {
    this.stopping = false;
    const tick = async () => {
      if (this.stopping) return;
      await this.runOnce().catch(() => undefined);
      if (!this.stopping) this.timer = setTimeout(tick, everyMs).unref();
    };
    this.timer = setTimeout(tick, firstAfterMs).unref();
  }

  runOnce(): Promise<T> {
    if (this.running) return this.running;
    this.running = this.pass()
      .then(
        (result) => {
          if (this.failing) this.logger.log(`${this.name} works again`);
          this.failing = false;
          return result;
        },
        (err: Error) => {
          if (!this.failing) this.logger.warn(`${this.name} failed (${err.message}); retrying on schedule`);
          this.failing = true;
          throw err;
        },
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }
}
