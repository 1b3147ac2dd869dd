/**
 * A time share for one lane of work: how much of one core's time the lane may take while other
 * work competes for the cores. The lane earns `share` ms of allowance per ms of wall time (up to a
 * burst of `share x windowMs`) and spends 1 ms per ms that each of its tasks runs; a new task
 * starts only while the allowance is not negative. A task, once started, runs to its end (a decode
 * cannot be stopped), so the allowance may go negative: the lane then waits until it has earned
 * that time back, and its share holds over any span longer than the window, whatever each task's
 * length (a plain "busy time over the last few seconds" would let tasks longer than the window
 * take more).
 *
 * Work-conserving: the share applies only while other work competes, or did within `quietMs`.
 * A server that receives nothing but large images decodes them at full speed; its debt is then
 * forgiven, so ordinary work arriving later waits at most for the tasks already running.
 */

/** Time and timers, injected so tests drive them by hand. */
export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. Must not keep the process alive. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

export interface TimeShareOptions {
  /** Share of one core's time, in (0, 1]. */
  share: number;
  /** Span over which a burst may use the whole core: the burst is share x windowMs of busy time. */
  windowMs: number;
  /** The share applies while other work competes, and for this long after it last did. */
  quietMs: number;
}

export class TimeShare {
  private allowance: number;
  private stamp: number;
  private running = 0;
  private lastCompeting = Number.NEGATIVE_INFINITY;
  private readonly burst: number;

  constructor(
    private readonly opts: TimeShareOptions,
    private readonly clock: Clock,
  ) {
    if (!(opts.share > 0 && opts.share <= 1)) throw new RangeError(`time share must be in (0, 1], got ${opts.share}`);
    this.burst = opts.share * opts.windowMs;
    this.allowance = this.burst;
    this.stamp = clock.now();
  }

  /**
   * Whether a task may start now. `competing`: other work is in progress now. Returns 0 when it may,
   * else the ms until it may (Infinity while a task of the lane still runs: its end is the next
   * chance).
   */
  waitMs(competing: boolean): number {
    const now = this.settle(competing);
    if (now - this.lastCompeting >= this.opts.quietMs || this.allowance >= 0) return 0;
    return this.running > 0 ? Number.POSITIVE_INFINITY : -this.allowance / this.opts.share;
  }

  /** Marks a task started; call the returned function once when it has really ended. */
  begin(competing: boolean): (competingAtEnd: boolean) => void {
    this.settle(competing);
    this.running++;
    let ended = false;
    return (competingAtEnd) => {
      if (ended) return;
      ended = true;
      this.settle(competingAtEnd);
      this.running--;
    };
  }

  /** Allowance now, in ms of one core (for tests and logs). */
  get allowanceMs(): number {
    return this.allowance;
  }

  /** Brings the allowance up to now: earned at `share`, spent by each running task. */
  private settle(competing: boolean): number {
    const now = this.clock.now();
    if (competing) this.lastCompeting = now;
    this.allowance = Math.min(this.burst, this.allowance + (now - this.stamp) * (this.opts.share - this.running));
    // No one to protect for a while: what the lane took meanwhile harmed no one.
    if (now - this.lastCompeting >= this.opts.quietMs) this.allowance = Math.max(0, this.allowance);
    this.stamp = now;
    return now;
  }
}
