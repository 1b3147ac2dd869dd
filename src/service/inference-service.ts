/**
 * The classifier as a service: the models it serves (a registry of loaded versions, kept in line
 * with the repository by RepositorySync), and what all of them share: admission (MAX_QUEUE images
 * in flight), the memory budget and the decode scheduler. Routes call it; it calls the engines. It
 * knows nothing of HTTP: failures are typed AppErrors.
 */
import { defaultDecodeConcurrency } from '../config/config.js';
import { ThreadedEngine } from '../engines/worker/threaded-engine.js';
import { AppError, notReady } from '../errors.js';
import type { PreparedModel, PrepareHooks } from '../pipeline/prepare.js';
import { prepareVersion, scanRepository, versionStamp } from '../pipeline/repository.js';
import type { PixelRow } from '../preprocess/preprocessor.js';
import { queueFull, type BatchRow } from './batcher.js';
import { DecodeScheduler } from './decode-scheduler.js';
import { MemoryBudget } from './memory-budget.js';
import { checkModelFits, defaultBudget, memoryLimit, MIN_BUDGET_BYTES, type MemoryLimit } from './memory-limit.js';
import { ModelRegistry, type IndexEntry, type ModelRef } from './model-registry.js';
import { ModelVersion } from './model-version.js';
import { RepositorySync, type SyncOutcome } from './repository-sync.js';
import { noopObserver, type Classification, type LoadReport, type ServiceDeps, type ServiceObserver, type ServiceSettings, type ServiceState } from './service-types.js';
import type { Prediction } from './topk.js';

export type { Classification, EngineFactory, LoadReport, ModelObserver, ServiceDeps, ServiceObserver, ServiceSettings, ServiceState, Timings, WorkContext } from './service-types.js';
export { noopObserver } from './service-types.js';
export type { IndexEntry, ModelRef, VersionState } from './model-registry.js';
export type { ModelVersion } from './model-version.js';

/** An admitted request: the version it is pinned to, and the release of its slots and pin. */
export interface Admission {
  model: ModelVersion;
  release(): void;
}

export class InferenceService {
  private current: ServiceState = 'idle';
  private failure: Error | undefined;
  /** Images admitted and not yet answered: decoding, queued or in the running batch. */
  private inflight = 0;
  report: LoadReport | undefined;
  /** Bytes admission hands out; its capacity is set at start unless MEMORY_BUDGET sets it. */
  readonly memory: MemoryBudget;
  readonly decoder: DecodeScheduler;
  readonly registry: ModelRegistry;
  private readonly sync: RepositorySync;

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
      othersBusy: () => this.registry.someLoaded((v) => v.busy),
    });
    this.registry = new ModelRegistry(config.modelName);
    const log = deps.log ?? { info: () => {}, error: () => {} };
    this.sync = new RepositorySync(this.registry, {
      scan: () => (deps.scan ?? scanRepository)(config),
      prepare: (v) => (deps.prepare ?? prepareVersion)(config, v, this.hooks),
      stamp: (v) => (deps.stamp ?? versionStamp)(v),
      checkRoom: (p) => this.checkRoom(p),
      load: (p) => this.loadVersion(p),
      log,
      onServing: (v, serving) => observer.modelServing(v.descriptor, v.engine, serving),
    });
  }

  private hooks: PrepareHooks = {};

  get state(): ServiceState {
    return this.current;
  }

  /** Ready when every model of the repository serves a version. */
  get ready(): boolean {
    return this.current === 'ready';
  }

  /** The default model's serving version, for metadata and logs; undefined until it is loaded. */
  get model(): ModelVersion | undefined {
    return this.loadedOrNone({});
  }

  /** The class count of the model `name` names (default model when absent); undefined when unknown or not loaded. */
  classesOf(name?: string): number | undefined {
    return this.loadedOrNone({ name })?.labels.length;
  }

  private loadedOrNone(ref: ModelRef): ModelVersion | undefined {
    try {
      return this.registry.resolve(ref);
    } catch {
      return undefined;
    }
  }

  get inFlight(): number {
    return this.inflight;
  }

  /** Throws what a request would get now if the service cannot take work (loading, failed, stopping). */
  checkServing(): void {
    if (this.current === 'ready' || this.current === 'draining') return;
    if (this.current === 'stopped') throw notReady('shutting_down', 'the server is shutting down', 1);
    if (this.current === 'failed') throw new AppError('not_ready', 'model_failed', `the model failed: ${this.failure?.message ?? 'unknown'}`);
    throw notReady('model_not_ready', 'the model is still loading; retry shortly');
  }

  /** The loaded version `ref` names (404 unknown, 503 not loaded); not pinned: for metadata. */
  resolve(ref: ModelRef = {}): ModelVersion {
    this.checkServing();
    return this.registry.resolve(ref);
  }

  /**
   * Reserves room for `images` images of the model `ref` names and pins its version, before any
   * decoding or inference is spent on them, or refuses at once with 503 queue_full: under
   * overload, a refusal costs no decoding or inference (only its HTTP handling). Memory is admitted
   * separately (`memory`, `decoder`). Call `release` when the request ends, however it ends.
   */
  admit(images: number, ref: ModelRef = {}): Admission {
    const model = this.resolve(ref);
    if (this.inflight + images > this.config.maxQueue) {
      this.observer.rejected('queue_full', model.descriptor.name);
      throw queueFull(this.config.maxQueue);
    }
    this.inflight += images;
    this.observer.queueDepth(this.inflight);
    const unpin = model.pin();
    let released = false;
    return {
      model,
      release: () => {
        if (released) return;
        released = true;
        unpin();
        this.inflight -= images;
        this.observer.queueDepth(this.inflight);
      },
    };
  }

  /** Scans the repository, then prepares, loads and warms up every model; then ready. */
  async start(hooks: PrepareHooks = {}): Promise<LoadReport> {
    if (this.current !== 'idle') throw new Error(`start() called in state ${this.current}`);
    this.current = 'loading';
    this.hooks = hooks;
    try {
      await this.sync.initial();
      this.report = this.loadReport();
      if (this.current === 'loading') this.current = 'ready';
      return this.report;
    } catch (err) {
      this.current = 'failed';
      this.failure = err as Error;
      await Promise.all(this.registry.loaded.map((v) => v.retire().catch(() => undefined)));
      throw err;
    }
  }

  /**
   * Rescans the repository (MODEL_CONTROL=poll, SIGHUP): new versions load beside the serving ones
   * and replace them when warm; `retryFailed` retries versions that failed before.
   */
  async reload(retryFailed = false): Promise<SyncOutcome | undefined> {
    if (this.current !== 'ready') return undefined;
    return this.sync.rescan(retryFailed);
  }

  /** Triton's repository index: every model version found or loaded, with its state. */
  index(): IndexEntry[] {
    return this.registry.index();
  }

  private async loadVersion(p: PreparedModel): Promise<ModelVersion> {
    const c = this.config;
    return ModelVersion.load(
      p,
      this.deps.engineFactory ?? ThreadedEngine.start,
      {
        decoder: this.decoder,
        observer: this.observer.forModel(p.descriptor.name),
        requestTimeoutMs: c.requestTimeoutMs,
        maxQueue: c.maxQueue,
        maxBatchSize: c.maxBatchSize,
        maxQueueDelayMs: c.maxQueueDelayMs,
      },
      (err) => this.fail(err),
    );
  }

  private limit(): MemoryLimit {
    return (this.deps.memory?.limit ?? memoryLimit)();
  }

  private resident(): number {
    return (this.deps.memory?.residentBytes ?? (() => process.memoryUsage.rss()))();
  }

  /** Refuses (at start, or for a swap) a version that would not fit beside what is loaded: see `checkModelFits`. */
  private checkRoom(p: PreparedModel): void {
    // Once sized, the whole request budget stays reserved: a swap must not eat what requests may hold.
    const reserve = Number.isFinite(this.memory.capacity) ? this.memory.capacity : MIN_BUDGET_BYTES;
    checkModelFits(p.descriptor, p.modelBytes, { limit: this.limit(), resident: this.resident(), reserve });
  }

  private loadReport(): LoadReport {
    const models = this.registry.serving.map((v) => ({
      name: v.descriptor.name,
      version: v.descriptor.version,
      fetchSeconds: v.prepared.fetchSeconds,
      convertSeconds: v.prepared.convertSeconds,
      ...v.timings,
    }));
    const sum = (k: 'fetchSeconds' | 'convertSeconds' | 'loadSeconds' | 'warmupSeconds'): number => models.reduce((s, m) => s + m[k], 0);
    return {
      fetchSeconds: sum('fetchSeconds'),
      convertSeconds: sum('convertSeconds'),
      loadSeconds: sum('loadSeconds'),
      warmupSeconds: sum('warmupSeconds'),
      models,
      ...this.sizeBudget(),
    };
  }

  /** MEMORY_BUDGET, or the limit minus what the process holds now that the models are loaded. */
  private sizeBudget(): Pick<LoadReport, 'memoryBudgetBytes' | 'memoryBudgetSource'> {
    if (this.config.memoryBudget !== undefined) return { memoryBudgetBytes: this.config.memoryBudget, memoryBudgetSource: 'MEMORY_BUDGET' };
    const limit = this.limit();
    this.memory.capacity = defaultBudget(limit.bytes, this.resident());
    return { memoryBudgetBytes: this.memory.capacity, memoryBudgetSource: limit.source };
  }

  private fail(err: Error): void {
    this.failure = err;
    this.current = 'failed';
    this.onFatal(err);
  }

  // Conveniences on one model (default: the default model), pinned for the call: the CLI and tests.

  /** Classifies one encoded image with the model `ref` names. */
  async classify(bytes: Buffer, topk: number, signal?: AbortSignal, deadlineAt?: number, ref: ModelRef = {}): Promise<Classification> {
    return this.pinned(ref, (m) => m.classify(bytes, topk, signal, deadlineAt));
  }

  async preprocess(bytes: Buffer, signal?: AbortSignal, deadlineAt?: number, ref: ModelRef = {}): Promise<PixelRow> {
    return this.pinned(ref, (m) => m.preprocess(bytes, signal, deadlineAt));
  }

  async infer(rows: readonly BatchRow[], signal?: AbortSignal, ref: ModelRef = {}): Promise<Float32Array[]> {
    return this.pinned(ref, (m) => m.infer(rows, signal));
  }

  topK(probabilities: ArrayLike<number>, k: number, ref: ModelRef = {}): Prediction[] {
    return this.resolve(ref).topK(probabilities, k);
  }

  private async pinned<T>(ref: ModelRef, work: (m: ModelVersion) => Promise<T>): Promise<T> {
    const m = this.resolve(ref);
    const unpin = m.pin();
    try {
      return await work(m);
    } finally {
      unpin();
    }
  }

  /** Stops taking new work (readiness turns 503 at once); queued and running work still completes. */
  beginDrain(): void {
    if (this.current === 'ready' || this.current === 'loading' || this.current === 'idle') this.current = 'draining';
  }

  /** Waits for accepted work to finish, then releases the engines. */
  async stop(): Promise<void> {
    this.beginDrain();
    await Promise.all(this.registry.loaded.map((v) => v.stop()));
    this.current = 'stopped';
  }

  async engineStats(): Promise<{ tensors?: number }> {
    const stats = await Promise.all(this.registry.loaded.map((v) => v.stats()));
    const counted = stats.filter((s) => s.tensors !== undefined);
    return counted.length === 0 ? {} : { tensors: counted.reduce((s, x) => s + (x.tensors ?? 0), 0) };
  }
}
