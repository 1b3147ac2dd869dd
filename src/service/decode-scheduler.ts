/**
 * Decodes run here, a bounded number at once, in two lanes by estimated cost. Each decode occupies
 * one libuv thread for its whole length (sharp runs libvips there), so the number of slots is kept
 * below libuv's pool size: file reads (static pages) and header reads never wait behind decodes.
 *
 * - A decode starts only when a slot is free AND its estimated peak memory fits the budget; it
 *   holds both until libvips has really returned, even if its request has gone (its 504 is sent at
 *   the deadline, its memory and CPU still count until they are free).
 * - Expensive decodes (progressive JPEG, interlaced PNG, AVIF at many megapixels...) run at most
 *   `expensiveSlots` at a time, so a flood of worst cases takes a bounded share of the CPU and of
 *   the budget, and the other slots keep serving ordinary photos. When both lanes wait, the
 *   expensive lane gets its own slot first (else a steady stream of cheap images would starve it).
 * - Waiting is bounded: past `maxWaitMs` (or its request's abort) a waiting decode leaves the queue
 *   with 503 + Retry-After, having cost nothing.
 */
import { AppError } from '../errors.js';
import { exceedsBudget, memoryBusy, type Charge, type MemoryBudget } from './memory-budget.js';

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

  constructor(
    private readonly budget: MemoryBudget,
    private readonly opts: SchedulerOptions,
  ) {
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
      let timer: NodeJS.Timeout | undefined;
      const leave = (err: Error): void => {
        const i = lane.indexOf(entry);
        if (i < 0) return;
        lane.splice(i, 1);
        cleanup();
        reject(err);
      };
      const onAbort = (): void => leave(asError(signal?.reason));
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const entry: Waiting = {
        cost,
        start: (charge) => {
          cleanup();
          this.running++;
          if (cost.expensive) this.runningExpensive++;
          // Called now; async so that a synchronous throw becomes this decode's rejection.
          const done = (async () => work())();
          // Slot and charge are free before the caller sees the outcome.
          const end = (): void => {
            this.running--;
            if (cost.expensive) this.runningExpensive--;
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
        timer = setTimeout(() => leave(this.budget.fits(cost.bytes) ? decodeBusy(cost.expensive) : memoryBusy('this image')), this.opts.maxWaitMs);
        signal?.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  private pump(): void {
    while (this.running < this.opts.slots) {
      const next = this.pick();
      if (next === undefined) return;
      next.entry.start(next.charge);
    }
  }

  /** The next decode to start, already charged; expensive first for its own slot(s). */
  private pick(): { entry: Waiting; charge: Charge } | undefined {
    if (this.expensive.length > 0 && this.runningExpensive < this.opts.expensiveSlots) {
      const charge = this.budget.tryCharge(this.expensive[0].cost.bytes);
      if (charge) return { entry: this.expensive.shift() as Waiting, charge };
    }
    // Cheap images never use the last slot while an expensive one waits for it.
    const reserved = this.expensive.length > 0 && this.runningExpensive < this.opts.expensiveSlots ? 1 : 0;
    if (this.cheap.length > 0 && this.running < this.opts.slots - reserved) {
      const charge = this.budget.tryCharge(this.cheap[0].cost.bytes);
      if (charge) return { entry: this.cheap.shift() as Waiting, charge };
    }
    return undefined;
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
