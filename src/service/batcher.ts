/**
 * Dynamic batcher, after Triton's: rows from concurrent requests wait in one bounded queue and go to
 * the engine together, up to `maxBatch` rows; a row waits at most `maxDelayMs` for partners while
 * the engine is idle (while it is busy the queue fills by itself, so batches form with no added
 * delay). The engine runs one batch at a time. A full queue refuses at once; a row whose request
 * was aborted (deadline, client gone) leaves the queue at once and is never computed.
 */
import { AppError } from '../errors.js';
import type { BatchInput, BatchOutput } from '../engines/engine.js';
import type { PixelRow } from '../preprocess/preprocessor.js';

export interface BatcherOptions {
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  /** `[H, W, C]` of one row. */
  rowDims: readonly [number, number, number];
}

export interface BatchObserver {
  /** A row left the queue for the engine after waiting this long. */
  queueWait(seconds: number): void;
  batchDone(size: number, seconds: number): void;
}

/** One input row: ready values, or a decoded image that normalises itself into the batch. */
export type BatchRow = Float32Array | PixelRow;

interface Item {
  row: BatchRow;
  enqueuedAt: number;
  resolve: (out: Float32Array) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export type RunBatch = (input: BatchInput) => Promise<BatchOutput>;

export const queueFull = (maxQueue: number): AppError =>
  new AppError('overloaded', 'queue_full', `server busy: ${maxQueue} images already in progress; retry shortly`, { retryAfterSeconds: 1 });

export class DynamicBatcher {
  private readonly queue: Item[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private oldestSince = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly rowLength: number;

  constructor(
    private readonly runBatch: RunBatch,
    private readonly opts: BatcherOptions,
    private readonly observer: BatchObserver = { queueWait: () => {}, batchDone: () => {} },
  ) {
    this.rowLength = opts.rowDims[0] * opts.rowDims[1] * opts.rowDims[2];
  }

  get depth(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.running || this.queue.length > 0;
  }

  /** Resolves with the row's output; rejects with `queue_full`, the abort reason, or an engine error. */
  submit(row: BatchRow, signal?: AbortSignal): Promise<Float32Array> {
    if (row.length !== this.rowLength) {
      return Promise.reject(new RangeError(`row has ${row.length} values, expected ${this.rowLength}`));
    }
    if (signal?.aborted) return Promise.reject(asError(signal.reason));
    if (this.queue.length >= this.opts.maxQueue) return Promise.reject(queueFull(this.opts.maxQueue));
    return new Promise<Float32Array>((resolve, reject) => {
      const item: Item = { row, enqueuedAt: performance.now(), resolve, reject, signal };
      if (signal) {
        item.onAbort = () => this.withdraw(item, asError(signal.reason));
        signal.addEventListener('abort', item.onAbort, { once: true });
      }
      if (this.queue.length === 0) this.oldestSince = performance.now();
      this.queue.push(item);
      this.pump();
    });
  }

  /** Resolves once the queue is empty and no batch is running (graceful shutdown). */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private withdraw(item: Item, err: Error): void {
    const i = this.queue.indexOf(item);
    if (i < 0) return; // already in a running batch: its result will simply be dropped
    this.queue.splice(i, 1);
    item.reject(err);
    this.settleIdle();
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return;
    const waited = performance.now() - this.oldestSince;
    if (this.queue.length < this.opts.maxBatch && waited < this.opts.maxDelayMs) {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.pump();
      }, this.opts.maxDelayMs - waited);
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    void this.dispatch(this.queue.splice(0, this.opts.maxBatch));
  }

  private async dispatch(items: Item[]): Promise<void> {
    this.running = true;
    this.oldestSince = performance.now();
    const now = performance.now();
    for (const it of items) {
      if (it.onAbort) it.signal?.removeEventListener('abort', it.onAbort);
      this.observer.queueWait((now - it.enqueuedAt) / 1000);
    }
    const n = items.length;
    const [h, w, c] = this.opts.rowDims;
    const data = new Float32Array(n * this.rowLength);
    items.forEach((it, i) => (it.row instanceof Float32Array ? data.set(it.row, i * this.rowLength) : it.row.writeTo(data, i * this.rowLength)));
    const started = performance.now();
    try {
      const out = await this.runBatch({ data, dims: [n, h, w, c] });
      const per = out.data.length / n;
      items.forEach((it, i) => it.resolve(out.data.slice(i * per, (i + 1) * per)));
      this.observer.batchDone(n, (performance.now() - started) / 1000);
    } catch (err) {
      for (const it of items) it.reject(asError(err));
    } finally {
      this.running = false;
      this.pump();
      this.settleIdle();
    }
  }

  private settleIdle(): void {
    if (this.busy) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
