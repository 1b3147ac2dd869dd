/** A test double for src/service/time-share.ts's Clock: time moves only when the test says so. */
import type { Clock } from '../../src/service/time-share.js';

interface Timer {
  at: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private t = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const timer = { at: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Moves time on by `ms`, firing each timer due on the way at its own time, in order. */
  advance(ms: number): void {
    const target = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = target;
  }

  /** Timers still pending (for tests that check nothing is left armed). */
  get pending(): number {
    return this.timers.length;
  }
}
