/**
 * One loaded version of one model: its engine, preprocessor and dynamic batcher, and the requests
 * pinned to it. A request resolves its version once and keeps it to the end, so a version being
 * replaced finishes what it accepted before its engine is released (zero-downtime swaps).
 * Decoding goes through the service's shared scheduler and memory budget.
 */
import type { EngineInfo, InferenceEngine } from '../engines/engine.js';
import { AppError } from '../errors.js';
import type { ModelDescriptor } from '../model/descriptor.js';
import type { PreparedModel } from '../pipeline/prepare.js';
import { estimateDecode } from '../preprocess/decode-cost.js';
import { ImagePreprocessor, type DecodedUpload, type PixelRow } from '../preprocess/preprocessor.js';
import { OtelBatchTracer } from '../telemetry/batch-tracer.js';
import { inSpan, SPAN } from '../telemetry/spans.js';
import { DynamicBatcher, type BatchRow } from './batcher.js';
import type { DecodeScheduler } from './decode-scheduler.js';
import type { Classification, EngineFactory, ModelObserver, WorkContext } from './service-types.js';
import { softmaxInPlace } from './softmax.js';
import { topK, type Prediction } from './topk.js';

/** What a version shares with the rest of the service. */
export interface VersionContext {
  decoder: DecodeScheduler;
  observer: ModelObserver;
  requestTimeoutMs: number;
  maxQueue: number;
  /** Env overrides of the descriptor's batching. */
  maxBatchSize: number | undefined;
  maxQueueDelayMs: number | undefined;
}

export interface VersionTimings {
  loadSeconds: number;
  warmupSeconds: number;
}

export class ModelVersion {
  /** Requests holding this version (admitted and not yet answered). */
  private pins = 0;
  private drained: (() => void) | undefined;
  private retiring = false;

  private constructor(
    readonly prepared: PreparedModel,
    private readonly runner: InferenceEngine,
    private readonly preprocessor: ImagePreprocessor,
    private readonly batcher: DynamicBatcher,
    private readonly ctx: VersionContext,
    readonly timings: VersionTimings,
  ) {}

  /** Starts the engine, builds the batcher and runs one warm-up inference: ready to serve when it resolves. */
  static async load(prepared: PreparedModel, engineFactory: EngineFactory, ctx: VersionContext, onFatal: (err: Error) => void): Promise<ModelVersion> {
    const started = performance.now();
    const engine = await engineFactory(prepared.engineSpec, onFatal);
    const loadSeconds = (performance.now() - started) / 1000;
    const d = prepared.descriptor;
    try {
      const preprocessor = new ImagePreprocessor(prepared.preprocessing);
      // Always [H, W, C] here: an NCHW model's rows are written planar, and its engine feeds them as [N, C, H, W].
      const rowDims: [number, number, number] = [d.input.height, d.input.width, d.input.channels];
      const batcher = new DynamicBatcher(
        (input) => engine.run(input),
        {
          maxBatch: ctx.maxBatchSize ?? d.batching.maxBatchSize, // env overrides the descriptor
          maxDelayMs: ctx.maxQueueDelayMs ?? d.batching.maxQueueDelayMs,
          maxQueue: ctx.maxQueue,
          rowDims,
        },
        ctx.observer,
        new OtelBatchTracer({ name: d.name, version: d.version, ...engine.info }),
      );
      const warmStarted = performance.now();
      await engine.run({ data: new Float32Array(preprocessor.rowLength), dims: [1, ...rowDims] });
      const warmupSeconds = (performance.now() - warmStarted) / 1000;
      return new ModelVersion(prepared, engine, preprocessor, batcher, ctx, { loadSeconds, warmupSeconds });
    } catch (err) {
      await engine.dispose().catch(() => undefined);
      throw err;
    }
  }

  get descriptor(): ModelDescriptor {
    return this.prepared.descriptor;
  }

  get labels(): readonly string[] {
    return this.prepared.labels;
  }

  /** Which engine serves it (the engine itself stays inside). */
  get engine(): EngineInfo {
    return this.runner.info;
  }

  stats(): Promise<{ tensors?: number }> {
    return this.runner.stats();
  }

  get inFlight(): number {
    return this.pins;
  }

  /** Rows queued or running in this version's engine. */
  get busy(): boolean {
    return this.batcher.busy;
  }

  /** Holds this version for one request; call the result when the request is over. */
  pin(): () => void {
    this.pins++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.pins === 0) this.drained?.();
    };
  }

  /** Classifies one encoded image. `signal` aborts waiting (deadline or client gone). */
  async classify(bytes: Buffer, topk: number, signal?: AbortSignal, deadlineAt?: number): Promise<Classification> {
    const pre = await this.decode(bytes, { signal, deadlineAt });
    const t1 = performance.now();
    const probs = await this.submit(pre.row, signal);
    return {
      predictions: this.topK(probs, topk),
      source: pre.source,
      timings: { preprocessMs: pre.ms, inferenceMs: performance.now() - t1 },
    };
  }

  /** Decodes one image into an input row that writes itself into its batch (for protocols that batch themselves). */
  async preprocess(bytes: Buffer, signal?: AbortSignal, deadlineAt?: number): Promise<PixelRow> {
    return (await this.decode(bytes, { signal, deadlineAt })).row;
  }

  /** Runs input rows through this version's batcher; one probability vector per row. */
  async infer(rows: readonly BatchRow[], signal?: AbortSignal): Promise<Float32Array[]> {
    return Promise.all(rows.map((r) => this.submit(r, signal)));
  }

  topK(probabilities: ArrayLike<number>, k: number): Prediction[] {
    return topK(probabilities, this.labels, k);
  }

  /**
   * Decodes one upload: header first, then the decode itself through the shared scheduler, charged
   * its estimated peak memory until libvips has returned (whether or not its request is still
   * there), stopped by libvips at the deadline, and never started when the estimate says it could
   * not end in time. Timed (and reported to the metrics) once.
   */
  private async decode(bytes: Buffer, ctx: WorkContext): Promise<DecodedUpload & { ms: number }> {
    const t0 = performance.now();
    const timeoutMs = this.ctx.requestTimeoutMs;
    // A child of the request's span when tracing is on (no-op otherwise): header probe, the wait
    // for a decode slot, and the decode itself.
    const decoded = await inSpan(SPAN.decode, async (span) => {
      const probe = await this.preprocessor.probe(bytes);
      const cost = estimateDecode(probe);
      const deadlineAt = ctx.deadlineAt ?? t0 + timeoutMs;
      const out = await this.ctx.decoder.run(
        cost,
        async () => {
          const left = deadlineAt - performance.now();
          if (left < cost.cpuMs) throw tooLateToDecode(timeoutMs, cost.cpuMs, left);
          return this.preprocessor.decode(bytes, probe, { timeoutSeconds: Math.max(1, Math.ceil(left / 1000)) });
        },
        ctx.signal,
      );
      span.setAttributes({ 'image.format': out.source.format, 'image.width': out.source.width, 'image.height': out.source.height });
      return out;
    }, { 'image.bytes': bytes.length });
    const ms = performance.now() - t0;
    this.ctx.observer.preprocessed(ms / 1000);
    return { ...decoded, ms };
  }

  private async submit(row: BatchRow, signal?: AbortSignal): Promise<Float32Array> {
    try {
      const out = await this.batcher.submit(row, signal);
      // Logits (a model without a final softmax) become probabilities here, once per row.
      return this.descriptor.output.activation === 'none' ? softmaxInPlace(out) : out;
    } catch (err) {
      // Work that never got its answer: refused, past its deadline, or abandoned by its client.
      if (err instanceof AppError && (err.kind === 'overloaded' || err.kind === 'timeout' || err.code === 'client_closed')) this.ctx.observer.rejected(err.code);
      throw err;
    }
  }

  /** Waits until every request pinned to this version has been answered, then releases the engine. */
  async retire(): Promise<void> {
    if (this.retiring) return;
    this.retiring = true;
    if (this.pins > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.stop();
  }

  /** Shutdown: queued and running batches finish (pins end with their responses), then the engine is released. */
  async stop(): Promise<void> {
    await this.batcher.idle();
    await this.runner.dispose();
  }
}

const tooLateToDecode = (deadlineMs: number, estimateMs: number, leftMs: number): AppError =>
  new AppError(
    'timeout',
    'deadline_exceeded',
    `the request was not served within its ${deadlineMs} ms deadline: decoding this image takes about ${Math.round(estimateMs)} ms and ${Math.max(0, Math.round(leftMs))} ms were left`,
  );
