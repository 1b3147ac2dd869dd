/**
 * Dynamic batcher, after Triton's: rows from concurrent requests wait in one bounded queue and go to
 * the engine together, up to `maxBatch` rows; a row waits at most `maxDelayMs` for partners while
 * the engine is idle (while it is busy the queue fills by itself, so batches form with no added
 * delay). A full queue refuses at once; a row whose request was aborted (deadline, client gone)
 * leaves the queue at once and is never computed.
 *
 * While one batch runs, the next full batch is already handed to the engine, which runs them in
 * order: the engine starts it the moment the first ends, instead of idling until this thread has
 * taken the result, answered, and built the next batch (a wait that grows when this thread is
 * busy, e.g. refusing a flood of requests). Only full batches go early, so a batch never leaves
 * smaller than it would have otherwise.
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

/**
 * Follows rows through the queue and batches through the engine, for tracing (src/telemetry/
 * batch-tracer.ts) without this file knowing OpenTelemetry. No-op by default.
 */
export interface BatchTracer {
  /** Called at submit, in the submitter's async context; what it returns travels with the row. */
  enqueued(): unknown;
  /** A batch starts in the engine with these rows (their `enqueued()` values); returns its end. */
  started(rows: readonly unknown[]): (error?: unknown) => void;
}

export const noBatchTracer: BatchTracer = { enqueued: () => undefined, started: () => () => {} };

/** One input row: ready values, or a decoded image that normalises itself into the batch. */
export type BatchRow = Float32Array | PixelRow;

interface Item {
  row: BatchRow;
  enqueuedAt: number;
  resolve: (out: Float32Array) => void;
  reject: (err: Error) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
  /** The tracer's value for this row. */
  trace: unknown;
}

/**
 * Runs one batch. Called again before the last call has settled (see PIPELINE_DEPTH): the engine
 * queues batches and runs them in order, as ThreadedEngine's worker does.
 */
export type RunBatch = (input: BatchInput) => Promise<BatchOutput>;

/** Batches handed to the engine at once: the running one and the next. */
const PIPELINE_DEPTH = 2;

export const queueFull = (maxQueue: number): AppError =>
  new AppError('overloaded', 'queue_full', `server busy: ${maxQueue} images already in progress; retry shortly`, { retryAfterSeconds: 1 });

export class DynamicBatcher {
  private readonly queue: Item[] = [];
  /** Batches handed to the engine and not finished, in order; the first is the one running. */
  private readonly inEngine: Promise<unknown>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private oldestSince = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly rowLength: number;

  constructor(
    private readonly runBatch: RunBatch,
    private readonly opts: BatcherOptions,
    private readonly observer: BatchObserver = { queueWait: () => {}, batchDone: () => {} },
    private readonly tracer: BatchTracer = noBatchTracer,
  ) {
    this.rowLength = opts.rowDims[0] * opts.rowDims[1] * opts.rowDims[2];
  }

  get depth(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.inEngine.length > 0 || this.queue.length > 0;
  }

  /** Resolves with the row's output; rejects with `queue_full`, the abort reason, or an engine error. */
  submit(row: BatchRow, signal?: AbortSignal): Promise<Float32Array> {
    if (row.length !== this.rowLength) {
      return Promise.reject(new RangeError(`row has ${row.length} values, expected ${this.rowLength}`));
    }
    if (signal?.aborted) return Promise.reject(asError(signal.reason));
    if (this.queue.length >= this.opts.maxQueue) return Promise.reject(queueFull(this.opts.maxQueue));
    return new Promise<Float32Array>((resolve, reject) => {
      const item: Item = { row, enqueuedAt: performance.now(), resolve, reject, signal, trace: this.tracer.enqueued() };
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
    if (this.queue.length === 0 || this.inEngine.length >= PIPELINE_DEPTH) return;
    if (this.inEngine.length > 0) {
      // Behind a running batch, only a full one goes now; a partial one waits for more rows.
      if (this.queue.length >= this.opts.maxBatch) this.dispatch(this.queue.splice(0, this.opts.maxBatch));
      return;
    }
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
    this.dispatch(this.queue.splice(0, this.opts.maxBatch));
  }

  private dispatch(items: Item[]): void {
    this.oldestSince = performance.now();
    for (const it of items) if (it.onAbort) it.signal?.removeEventListener('abort', it.onAbort);
    const n = items.length;
    const [h, w, c] = this.opts.rowDims;
    const data = new Float32Array(n * this.rowLength);
    items.forEach((it, i) => (it.row instanceof Float32Array ? data.set(it.row, i * this.rowLength) : it.row.writeTo(data, i * this.rowLength)));
    // The engine starts this batch when the one ahead of it (if any) has finished.
    const ahead = this.inEngine.at(-1);
    let started = 0;
    // The tracer's end of this batch; an engine that answers before begin() ran (one that does not
    // queue, as test doubles) has its outcome kept until then.
    let traced: ((error?: unknown) => void) | undefined;
    let outcome: { error?: unknown } | undefined;
    const endTrace = (error?: unknown): void => {
      if (traced) traced(error);
      else outcome = { error };
    };
    // Called at once; async so that a synchronous throw becomes this batch's rejection.
    const result = (async () => this.runBatch({ data, dims: [n, h, w, c] }))();
    const settled = result.then(
      (out) => {
        const per = out.data.length / n;
        items.forEach((it, i) => it.resolve(out.data.slice(i * per, (i + 1) * per)));
        this.observer.batchDone(n, (performance.now() - started) / 1000);
        endTrace();
      },
      (err: unknown) => {
        for (const it of items) it.reject(asError(err));
        endTrace(err);
      },
    );
    this.inEngine.push(settled);
    const begin = (): void => {
      started = performance.now();
      for (const it of items) this.observer.queueWait((started - it.enqueuedAt) / 1000);
      traced = this.tracer.started(items.map((it) => it.trace));
      if (outcome) traced(outcome.error);
    };
    if (ahead) void ahead.then(begin);
    else begin();
    void settled.finally(() => {
      this.inEngine.shift();
      this.pump();
      this.settleIdle();
    });
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
