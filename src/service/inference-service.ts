/**
 * The classifier as a service: owns the model lifecycle (load, warm-up, ready, draining, stopped),
 * the preprocessor and the dynamic batcher. Routes call it; it calls the engine. It knows nothing
 * of HTTP: failures are typed AppErrors.
 */
import type { Config } from '../config/config.js';
import type { EngineInfo, InferenceEngine } from '../engines/engine.js';
import { ThreadedEngine } from '../engines/worker/threaded-engine.js';
import { AppError, notReady } from '../errors.js';
import type { ModelDescriptor } from '../model/descriptor.js';
import { prepareModel, type PrepareHooks } from '../pipeline/prepare.js';
import { ImagePreprocessor, type DecodedUpload, type PixelRow } from '../preprocess/preprocessor.js';
import { DynamicBatcher, queueFull, type BatchObserver, type BatchRow } from './batcher.js';
import { topK, type Prediction } from './topk.js';

export type ServiceState = 'idle' | 'loading' | 'ready' | 'draining' | 'stopped' | 'failed';

/** What the service reports to metrics; no-ops by default. */
export interface ServiceObserver extends BatchObserver {
  /** Images admitted and not yet answered. */
  queueDepth(depth: number): void;
  preprocessed(seconds: number): void;
  rejected(reason: string): void;
}

export const noopObserver: ServiceObserver = { queueDepth: () => {}, queueWait: () => {}, batchDone: () => {}, preprocessed: () => {}, rejected: () => {} };

export interface Timings {
  preprocessMs: number;
  /** Waiting for the engine plus the batch's run. */
  inferenceMs: number;
}

export interface Classification {
  predictions: Prediction[];
  source: { format: string; width: number; height: number };
  timings: Timings;
}

export interface LoadReport {
  fetchSeconds: number;
  convertSeconds: number;
  loadSeconds: number;
  warmupSeconds: number;
}

export type ServiceSettings = Config;

interface Loaded {
  descriptor: ModelDescriptor;
  labels: string[];
  engine: InferenceEngine;
  preprocessor: ImagePreprocessor;
  batcher: DynamicBatcher;
}

export class InferenceService {
  private current: ServiceState = 'idle';
  private loaded: Loaded | undefined;
  private failure: Error | undefined;
  /** Images admitted and not yet answered: decoding, queued or in the running batch. */
  private inflight = 0;
  report: LoadReport | undefined;

  constructor(
    private readonly config: ServiceSettings,
    private readonly observer: ServiceObserver = noopObserver,
    private readonly onFatal: (err: Error) => void = () => {},
  ) {}

  get state(): ServiceState {
    return this.current;
  }

  get ready(): boolean {
    return this.current === 'ready';
  }

  /** Model identity for metadata routes and metrics; undefined until loaded. */
  get model(): { descriptor: ModelDescriptor; labels: readonly string[]; engine: EngineInfo } | undefined {
    const l = this.loaded;
    return l && { descriptor: l.descriptor, labels: l.labels, engine: l.engine.info };
  }

  get inFlight(): number {
    return this.inflight;
  }

  /**
   * Reserves room for `images` images before any work is spent on them (the upload is not even
   * read yet), or refuses at once with 503 queue_full: under overload, a refusal costs no decoding
   * or inference (only its HTTP handling) and memory stays bounded. Call the returned function
   * when the request ends, however it ends.
   */
  admit(images = 1): () => void {
    this.need();
    if (this.inflight + images > this.config.maxQueue) {
      this.observer.rejected('queue_full');
      throw queueFull(this.config.maxQueue);
    }
    this.inflight += images;
    this.observer.queueDepth(this.inflight);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inflight -= images;
      this.observer.queueDepth(this.inflight);
    };
  }

  /** Fetch if needed, load the engine in its worker, run one warm-up inference; then ready. */
  async start(hooks: PrepareHooks = {}): Promise<LoadReport> {
    if (this.current !== 'idle') throw new Error(`start() called in state ${this.current}`);
    this.current = 'loading';
    try {
      const prepared = await prepareModel(this.config, hooks);
      const loadStarted = performance.now();
      const engine = await ThreadedEngine.start(prepared.engineSpec, (err) => this.fail(err));
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      const d = prepared.descriptor;
      const preprocessor = new ImagePreprocessor(prepared.preprocessing);
      const batcher = new DynamicBatcher((input) => engine.run(input), {
        maxBatch: this.config.maxBatchSize,
        maxDelayMs: this.config.maxQueueDelayMs,
        maxQueue: this.config.maxQueue,
        rowDims: [d.input.height, d.input.width, d.input.channels],
      }, this.observer);
      this.loaded = { descriptor: d, labels: prepared.labels, engine, preprocessor, batcher };
      const warmStarted = performance.now();
      await engine.run({ data: new Float32Array(preprocessor.rowLength), dims: [1, d.input.height, d.input.width, d.input.channels] });
      const warmupSeconds = (performance.now() - warmStarted) / 1000;
      this.report = { fetchSeconds: prepared.fetchSeconds, convertSeconds: prepared.convertSeconds, loadSeconds, warmupSeconds };
      if (this.current === 'loading') this.current = 'ready';
      return this.report;
    } catch (err) {
      this.current = 'failed';
      this.failure = err as Error;
      throw err;
    }
  }

  private fail(err: Error): void {
    this.failure = err;
    this.current = 'failed';
    this.onFatal(err);
  }

  private need(): Loaded {
    // While draining, requests the server already accepted still complete; new ones never get here.
    if ((this.current === 'ready' || this.current === 'draining') && this.loaded) return this.loaded;
    if (this.current === 'draining' || this.current === 'stopped') throw notReady('shutting_down', 'the server is shutting down', 1);
    if (this.current === 'failed') throw new AppError('not_ready', 'model_failed', `the model failed: ${this.failure?.message ?? 'unknown'}`);
    throw notReady('model_not_ready', 'the model is still loading; retry shortly');
  }

  /** Classifies one encoded image. `signal` aborts waiting (deadline or client gone). */
  async classify(bytes: Buffer, topk: number, signal?: AbortSignal): Promise<Classification> {
    const l = this.need();
    const pre = await this.decode(l, bytes);
    const t1 = performance.now();
    const probs = await this.submit(l, pre.row, signal);
    return {
      predictions: topK(probs, l.labels, topk),
      source: pre.source,
      timings: { preprocessMs: pre.ms, inferenceMs: performance.now() - t1 },
    };
  }

  /** Decodes one image into an input row that writes itself into its batch (for protocols that batch themselves). */
  async preprocess(bytes: Buffer): Promise<PixelRow> {
    return (await this.decode(this.need(), bytes)).row;
  }

  /** Decodes one upload, timed (and reported to the metrics) once. */
  private async decode(l: Loaded, bytes: Buffer): Promise<DecodedUpload & { ms: number }> {
    const t0 = performance.now();
    const decoded = await l.preprocessor.decode(bytes);
    const ms = performance.now() - t0;
    this.observer.preprocessed(ms / 1000);
    return { ...decoded, ms };
  }

  /** Runs preprocessed input rows through the shared batcher; one probability vector per row. */
  async infer(rows: readonly BatchRow[], signal?: AbortSignal): Promise<Float32Array[]> {
    const l = this.need();
    return Promise.all(rows.map((r) => this.submit(l, r, signal)));
  }

  topK(probabilities: ArrayLike<number>, k: number): Prediction[] {
    return topK(probabilities, this.need().labels, k);
  }

  private async submit(l: Loaded, row: BatchRow, signal?: AbortSignal): Promise<Float32Array> {
    try {
      return await l.batcher.submit(row, signal);
    } catch (err) {
      // Work that never got its answer: refused, past its deadline, or abandoned by its client.
      if (err instanceof AppError && (err.kind === 'overloaded' || err.kind === 'timeout' || err.code === 'client_closed')) this.observer.rejected(err.code);
      throw err;
    }
  }

  /** Stops taking new work (readiness turns 503 at once); queued and running work still completes. */
  beginDrain(): void {
    if (this.current === 'ready' || this.current === 'loading' || this.current === 'idle') this.current = 'draining';
  }

  /** Waits for accepted work to finish, then releases the engine. */
  async stop(): Promise<void> {
    this.beginDrain();
    const l = this.loaded;
    if (l) {
      await l.batcher.idle();
      await l.engine.dispose();
    }
    this.current = 'stopped';
  }

  async engineStats(): Promise<{ tensors?: number }> {
    return this.loaded ? this.loaded.engine.stats() : {};
  }
}
