/**
 * Decodes run here, a bounded number at once, in two lanes by estimated cost. Each decode occupies
 * one libuv thread for its whole length (sharp runs libvips there), so the number of slots is kept
 * below libuv's pool size: file reads (static pages) and header reads never wait behind decodes.
 *
 * - A decode starts only when a slot is free AND its estimated peak memory fits the budget; it
 *   holds both until libvips has really returned, even if its request has gone (its 504 is sent at
 *   the deadline, its memory and CPU still count until they are free).
 * - Expensive decodes (progressive JPEG, interlaced PNG, AVIF at many megapixels...) run at most
 *   `expensiveSlots` at a time, and, while other work competes (cheap decodes, inference), only
 *   within a time share of one core (src/service/time-share.ts): a flood of worst cases takes a
 *   bounded share of the CPU and of the budget, and the rest keeps serving ordinary photos. One
 *   decode of one to three seconds holds a core that ONNX Runtime's two-thread operators need
 *   both of, so a lane that always has one running costs inference far more than one core's worth
 *   (docs/hostile.md). When both lanes wait and the share allows, the expensive lane gets its own
 *   slot first (else a steady stream of cheap images would starve it); the other slots are cheap.
 * - Waiting is bounded: past `maxWaitMs` (or its request's abort) a waiting decode leaves the queue
 *   with 503 + Retry-After, having cost nothing.
 */
import { AppError } from '../errors.js';
import { exceedsBudget, memoryBusy, type Charge, type MemoryBudget } from './memory-budget.js';
import { systemClock, TimeShare, type Clock } from './time-share.js';

/**
 * Share of one core the expensive lane may use while other work competes. Measured with
 * `npm run bench:hostile` (docs/hostile.md): with the lane always busy (a share of 1), ordinary
 * clients kept 34 % of their solo throughput on 2 cores.
 */
export const EXPENSIVE_SHARE = 0.25;
/** The lane may use a whole core for share x this long at once (a burst: 1 s of decoding). */
export const SHARE_WINDOW_MS = 4000;
/** Other work counts as competing for this long after it was last seen. */
export const SHARE_QUIET_MS = 1000;

export interface DecodeCost {
  /** Estimated peak memory of the decode, in bytes. */
  bytes: number;
  expensive: boolean;
}

export interface SchedulerOptions {
  /** Decodes at once, both lanes together (at least 2, so that one slot is always cheap). */
  slots: number;
  /** Expensive decodes at once. */
  expensiveSlots: number;
  /** Longest wait for a slot and memory before 503. */
  maxWaitMs: number;
  /** Share of one core for the expensive lane while other work competes; default EXPENSIVE_SHARE. */
  expensiveShare?: number;
  /** Whether work other than decoding (inference) is in progress; cheap decodes are counted here. */
  othersBusy?: () => boolean;
  clock?: Clock;
}

interface Waiting {
  cost: DecodeCost;
  start: (charge: Charge) => void;
}

export const decodeBusy = (expensive: boolean): AppError =>
  new AppError(
    'overloaded',
    'decoder_busy',
    expensive ? 'server busy decoding other large images; retry shortly' : 'server busy decoding other images; retry shortly',
    { retryAfterSeconds: 1 },
  );

export class DecodeScheduler {
  private readonly cheap: Waiting[] = [];
  private readonly expensive: Waiting[] = [];
  private running = 0;
  private runningExpensive = 0;
  private readonly clock: Clock;
  private readonly share: TimeShare;
  /** Cancels the timer that wakes the expensive lane when its share allows again. */
  private cancelWake: (() => void) | undefined;

  constructor(
    private readonly budget: MemoryBudget,
    private readonly opts: SchedulerOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.share = new TimeShare({ share: opts.expensiveShare ?? EXPENSIVE_SHARE, windowMs: SHARE_WINDOW_MS, quietMs: SHARE_QUIET_MS }, this.clock);
    budget.onRelease(() => this.pump());
  }

  /** Decodes running now (both lanes). */
  get active(): { cheap: number; expensive: number } {
    return { cheap: this.running - this.runningExpensive, expensive: this.runningExpensive };
  }

  get waiting(): { cheap: number; expensive: number } {
    return { cheap: this.cheap.length, expensive: this.expensive.length };
  }

  /**
   * Runs `work` once a slot and `cost.bytes` of the budget are free. Rejects at once with 413 when
   * the cost can never fit, with 503 after `maxWaitMs`, or with the signal's reason if it aborts
   * while waiting. Once started, `work` runs to its end and keeps its slot and charge until then.
   */
  run<T>(cost: DecodeCost, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (cost.bytes > this.budget.capacity) return Promise.reject(exceedsBudget(cost.bytes, this.budget.capacity));
    if (signal?.aborted) return Promise.reject(asError(signal.reason));
    return new Promise<T>((resolve, reject) => {
      const lane = cost.expensive ? this.expensive : this.cheap;
      let cancelTimer: (() => void) | undefined;
      const leave = (err: Error): void => {
        const i = lane.indexOf(entry);
        if (i < 0) return;
        lane.splice(i, 1);
        cleanup();
        reject(err);
      };
      const onAbort = (): void => leave(asError(signal?.reason));
      const cleanup = (): void => {
        cancelTimer?.();
        signal?.removeEventListener('abort', onAbort);
      };
      const entry: Waiting = {
        cost,
        start: (charge) => {
          cleanup();
          this.running++;
          if (cost.expensive) this.runningExpensive++;
          const endShare = cost.expensive ? this.share.begin(this.competing()) : undefined;
          // Called now; async so that a synchronous throw becomes this decode's rejection.
          const done = (async () => work())();
          // Slot and charge are free before the caller sees the outcome.
          const end = (): void => {
            this.running--;
            if (cost.expensive) this.runningExpensive--;
            endShare?.(this.competing());
            charge.release(); // pumps
          };
          done.then(
            (v) => {
              end();
              resolve(v);
            },
            (err: unknown) => {
              end();
              reject(asError(err));
            },
          );
        },
      };
      lane.push(entry);
      this.pump();
      if (lane.includes(entry)) {
        cancelTimer = this.clock.setTimer(() => leave(this.budget.fits(cost.bytes, cost.expensive) ? decodeBusy(cost.expensive) : memoryBusy('this image')), this.opts.maxWaitMs);
        signal?.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  /** Other work the expensive lane would slow down: cheap decodes, inference. */
  private competing(): boolean {
    return this.running > this.runningExpensive || this.cheap.length > 0 || (this.opts.othersBusy?.() ?? false);
  }

  private pump(): void {
    while (this.running < this.opts.slots) {
      const next = this.pick();
      if (next === undefined) return;
      next.entry.start(next.charge);
    }
  }

  /** Whether the expensive lane may start one now; if only its share stops it, wakes it up when it may. */
  private expensiveMayStart(): boolean {
    if (this.expensive.length === 0 || this.runningExpensive >= this.opts.expensiveSlots) return false;
    const wait = this.share.waitMs(this.competing());
    if (wait === 0) return true;
    if (Number.isFinite(wait) && this.cancelWake === undefined) {
      this.cancelWake = this.clock.setTimer(() => {
        this.cancelWake = undefined;
        this.pump();
      }, Math.ceil(wait));
    }
    return false;
  }

  /** The next decode to start, already charged; expensive first for its own slot(s) when its share allows. */
  private pick(): { entry: Waiting; charge: Charge } | undefined {
    const expensiveReady = this.expensiveMayStart();
    if (expensiveReady) {
      const charge = this.budget.tryCharge(this.expensive[0].cost.bytes, true);
      if (charge) return { entry: this.expensive.shift() as Waiting, charge };
    }
    // Cheap images never use the last slot while an expensive one may start and waits for it.
    const reserved = expensiveReady ? 1 : 0;
    if (this.cheap.length > 0 && this.running < this.opts.slots - reserved) {
      const charge = this.budget.tryCharge(this.cheap[0].cost.bytes, false);
      if (charge) return { entry: this.cheap.shift() as Waiting, charge };
    }
    return undefined;
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
