/**
 * The classifier as a service: owns the model lifecycle (load, warm-up, ready, draining, stopped),
 * the preprocessor and the dynamic batcher. Routes call it; it calls the engine. It knows nothing
 * of HTTP: failures are typed AppErrors.
 */
import { defaultDecodeConcurrency } from '../config/config.js';
import type { EngineInfo, InferenceEngine } from '../engines/engine.js';
import { ThreadedEngine } from '../engines/worker/threaded-engine.js';
import { AppError, notReady } from '../errors.js';
import type { ModelDescriptor } from '../model/descriptor.js';
import { prepareModel, type PrepareHooks } from '../pipeline/prepare.js';
import { estimateDecode } from '../preprocess/decode-cost.js';
import { ImagePreprocessor, type DecodedUpload, type PixelRow } from '../preprocess/preprocessor.js';
import { OtelBatchTracer } from '../telemetry/batch-tracer.js';
import { inSpan, SPAN } from '../telemetry/spans.js';
import { DynamicBatcher, queueFull, type BatchRow } from './batcher.js';
import { noopObserver, type Classification, type LoadReport, type ServiceDeps, type ServiceObserver, type ServiceSettings, type ServiceState, type WorkContext } from './service-types.js';
import { DecodeScheduler } from './decode-scheduler.js';
import { MemoryBudget } from './memory-budget.js';
import { defaultBudget, memoryLimit } from './memory-limit.js';
import { topK, type Prediction } from './topk.js';

export type { Classification, EngineFactory, LoadReport, ServiceDeps, ServiceObserver, ServiceSettings, ServiceState, Timings, WorkContext } from './service-types.js';
export { noopObserver } from './service-types.js';

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
  /** Bytes admission hands out; its capacity is set at start unless MEMORY_BUDGET sets it. */
  readonly memory: MemoryBudget;
  readonly decoder: DecodeScheduler;

  constructor(
    private readonly config: ServiceSettings,
    private readonly observer: ServiceObserver = noopObserver,
    private readonly onFatal: (err: Error) => void = () => {},
    private readonly deps: ServiceDeps = {},
  ) {
    this.memory = new MemoryBudget(config.memoryBudget ?? Number.POSITIVE_INFINITY);
    this.decoder = new DecodeScheduler(this.memory, {
      slots: config.decodeConcurrency ?? defaultDecodeConcurrency(),
      expensiveSlots: 1,
      maxWaitMs: config.admissionWaitMs,
      // Inference is what an expensive decode slows down most (its operators wait for both cores).
      othersBusy: () => this.loaded?.batcher.busy ?? false,
    });
  }

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
   * Reserves room for `images` images before any decoding or inference is spent on them, or
   * refuses at once with 503 queue_full: under overload, a refusal costs no decoding or inference
   * (only its HTTP handling). Memory is admitted separately (`memory`, `decoder`). Call the
   * returned function when the request ends, however it ends.
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

  /** Throws what a request would get now if the service cannot take work (loading, failed, stopping). */
  checkServing(): void {
    this.need();
  }

  /** Fetch if needed, load the engine in its worker, run one warm-up inference; then ready. */
  async start(hooks: PrepareHooks = {}): Promise<LoadReport> {
    if (this.current !== 'idle') throw new Error(`start() called in state ${this.current}`);
    this.current = 'loading';
    try {
      const prepared = await (this.deps.prepare ?? prepareModel)(this.config, hooks);
      const loadStarted = performance.now();
      const engine = await (this.deps.engineFactory ?? ThreadedEngine.start)(prepared.engineSpec, (err) => this.fail(err));
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      const d = prepared.descriptor;
      const preprocessor = new ImagePreprocessor(prepared.preprocessing);
      const batcher = new DynamicBatcher((input) => engine.run(input), {
        maxBatch: this.config.maxBatchSize ?? d.batching.maxBatchSize, // env overrides the descriptor
        maxDelayMs: this.config.maxQueueDelayMs ?? d.batching.maxQueueDelayMs,
        maxQueue: this.config.maxQueue,
        rowDims: [d.input.height, d.input.width, d.input.channels],
      }, this.observer, new OtelBatchTracer({ name: d.name, version: d.version, ...engine.info }));
      this.loaded = { descriptor: d, labels: prepared.labels, engine, preprocessor, batcher };
      const warmStarted = performance.now();
      await engine.run({ data: new Float32Array(preprocessor.rowLength), dims: [1, d.input.height, d.input.width, d.input.channels] });
      const warmupSeconds = (performance.now() - warmStarted) / 1000;
      this.report = { fetchSeconds: prepared.fetchSeconds, convertSeconds: prepared.convertSeconds, loadSeconds, warmupSeconds, ...this.sizeBudget() };
      if (this.current === 'loading') this.current = 'ready';
      return this.report;
    } catch (err) {
      this.current = 'failed';
      this.failure = err as Error;
      throw err;
    }
  }

  /** MEMORY_BUDGET, or the limit minus what the process holds now that the model is loaded. */
  private sizeBudget(): Pick<LoadReport, 'memoryBudgetBytes' | 'memoryBudgetSource'> {
    if (this.config.memoryBudget !== undefined) return { memoryBudgetBytes: this.config.memoryBudget, memoryBudgetSource: 'MEMORY_BUDGET' };
    const limit = (this.deps.memory?.limit ?? memoryLimit)();
    const resident = (this.deps.memory?.residentBytes ?? (() => process.memoryUsage.rss()))();
    this.memory.capacity = defaultBudget(limit.bytes, resident);
    return { memoryBudgetBytes: this.memory.capacity, memoryBudgetSource: limit.source };
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
  async classify(bytes: Buffer, topk: number, signal?: AbortSignal, deadlineAt?: number): Promise<Classification> {
    const l = this.need();
    const pre = await this.decode(l, bytes, { signal, deadlineAt });
    const t1 = performance.now();
    const probs = await this.submit(l, pre.row, signal);
    return {
      predictions: topK(probs, l.labels, topk),
      source: pre.source,
      timings: { preprocessMs: pre.ms, inferenceMs: performance.now() - t1 },
    };
  }

  /** Decodes one image into an input row that writes itself into its batch (for protocols that batch themselves). */
  async preprocess(bytes: Buffer, signal?: AbortSignal, deadlineAt?: number): Promise<PixelRow> {
    return (await this.decode(this.need(), bytes, { signal, deadlineAt })).row;
  }

  /**
   * Decodes one upload: header first, then the decode itself through the scheduler, charged its
   * estimated peak memory until libvips has returned (whether or not its request is still there),
   * stopped by libvips at the deadline, and never started when the estimate says it could not end
   * in time. Timed (and reported to the metrics) once.
   */
  private async decode(l: Loaded, bytes: Buffer, ctx: WorkContext): Promise<DecodedUpload & { ms: number }> {
    const t0 = performance.now();
    // A child of the request's span when tracing is on (no-op otherwise): header probe, the wait
    // for a decode slot, and the decode itself.
    const decoded = await inSpan(SPAN.decode, async (span) => {
      const probe = await l.preprocessor.probe(bytes);
      const cost = estimateDecode(probe);
      const deadlineAt = ctx.deadlineAt ?? t0 + this.config.requestTimeoutMs;
      const out = await this.decoder.run(
        cost,
        async () => {
          const left = deadlineAt - performance.now();
          if (left < cost.cpuMs) throw tooLateToDecode(this.config.requestTimeoutMs, cost.cpuMs, left);
          return l.preprocessor.decode(bytes, probe, { timeoutSeconds: Math.max(1, Math.ceil(left / 1000)) });
        },
        ctx.signal,
      );
      span.setAttributes({ 'image.format': out.source.format, 'image.width': out.source.width, 'image.height': out.source.height });
      return out;
    }, { 'image.bytes': bytes.length });
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

const tooLateToDecode = (deadlineMs: number, estimateMs: number, leftMs: number): AppError =>
  new AppError(
    'timeout',
    'deadline_exceeded',
    `the request was not served within its ${deadlineMs} ms deadline: decoding this image takes about ${Math.round(estimateMs)} ms and ${Math.max(0, Math.round(leftMs))} ms were left`,
  );
