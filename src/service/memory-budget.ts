/**
 * The server's memory, as a budget in bytes that admission charges: upload bytes as they arrive,
 * and each decode's estimated peak before it starts. A charge is held until the work it stands for
 * has really ended (a decode that outlives its request keeps its charge until libvips returns), so
 * what the budget says is in use is what the process holds, within the estimates' error.
 */
import { AppError } from '../errors.js';

const MB = 1024 * 1024;
export const toMB = (bytes: number): string => (bytes / MB).toFixed(0);

/** Bytes held for one piece of work; released once, however the work ends. */
export interface Charge {
  readonly bytes: number;
  /** Adds `bytes` if they fit in what is free now (no waiting); false when they do not. */
  grow(bytes: number): boolean;
  release(): void;
}

export const exceedsBudget = (needed: number, capacity: number): AppError =>
  new AppError(
    'too_large',
    'image_exceeds_memory_budget',
    `decoding this image needs about ${toMB(needed)} MB; this server's memory budget is ${toMB(capacity)} MB (send a smaller image, or a non-progressive JPEG / non-interlaced PNG)`,
  );

export const memoryBusy = (what: string): AppError =>
  new AppError('overloaded', 'memory_busy', `server busy: not enough memory free for ${what} now; retry shortly`, { retryAfterSeconds: 1 });

/**
 * Share of the budget that bulk charges (large uploads, expensive decodes) may never take: ordinary
 * photos always find room, however many worst-case images are in flight (cost-fair admission).
 */
export const SMALL_RESERVE_SHARE = 0.25;
/** A charge that holds more than this is bulk, whatever its class: an upload past its first megabyte. */
export const BULK_BYTES = 1024 * 1024;

export class MemoryBudget {
  private usedBytes = 0;
  private peakBytes = 0;
  private readonly listeners: (() => void)[] = [];
  /** Takers waiting for room, served in arrival order after each release. */
  private readonly waiters: { take: () => boolean; resolve: () => void }[] = [];

  /** `capacity` may be raised or lowered later (the default is only known once the model is loaded). */
  constructor(private capacityBytes: number) {}

  get capacity(): number {
    return this.capacityBytes;
  }

  set capacity(bytes: number) {
    this.capacityBytes = bytes;
    this.notify();
  }

  get used(): number {
    return this.usedBytes;
  }

  /** Highest `used` seen since start (for tests and metrics). */
  get peak(): number {
    return this.peakBytes;
  }

  get free(): number {
    return Math.max(0, this.capacityBytes - this.usedBytes);
  }

  /** Whether `bytes` more fit now, for a charge of the bulk class or not (bulk stays out of the small reserve). */
  fits(bytes: number, bulk = bytes > BULK_BYTES): boolean {
    const ceiling = bulk ? this.capacityBytes * (1 - SMALL_RESERVE_SHARE) : this.capacityBytes;
    return this.usedBytes + bytes <= ceiling;
  }

  /** Called whenever bytes are released or the capacity changes (waiters re-check then). */
  onRelease(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Calls `take` after every release, in arrival order among waiters, until it returns true (it
   * took its room); `ready` then resolves. `cancel` drops a waiter that no longer wants room.
   */
  whenRoom(take: () => boolean): { ready: Promise<void>; cancel(): void } {
    let waiter: { take: () => boolean; resolve: () => void } | undefined;
    const ready = new Promise<void>((resolve) => {
      waiter = { take, resolve };
      this.waiters.push(waiter);
    });
    return {
      ready,
      cancel: () => {
        const i = this.waiters.indexOf(waiter as (typeof this.waiters)[number]);
        if (i >= 0) this.waiters.splice(i, 1);
      },
    };
  }

  /**
   * Charges `bytes` if they fit now; undefined when they do not. An empty charge always fits. A
   * bulk charge (a large upload, an expensive decode) never takes the small reserve; any charge
   * becomes bulk once it holds more than BULK_BYTES.
   */
  tryCharge(bytes: number, bulk = bytes > BULK_BYTES): Charge | undefined {
    if (bytes > 0 && !this.fits(bytes, bulk)) return undefined;
    this.add(bytes);
    let held = bytes;
    let released = false;
    return {
      get bytes() {
        return held;
      },
      grow: (more) => {
        if (released) return false;
        if (!this.fits(more, bulk || held + more > BULK_BYTES)) return false;
        this.add(more);
        held += more;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.usedBytes -= held;
        held = 0;
        this.notify();
      },
    };
  }

  private add(bytes: number): void {
    this.usedBytes += bytes;
    if (this.usedBytes > this.peakBytes) this.peakBytes = this.usedBytes;
  }

  private notify(): void {
    for (const l of this.listeners) l();
    if (this.waiters.length === 0) return; // the common case: every release, no upload waiting
    // In arrival order; one that still does not fit (bulk, past the small reserve) lets the next try.
    for (const w of [...this.waiters]) {
      if (!w.take()) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve();
    }
  }
}
