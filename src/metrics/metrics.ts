/**
 * Prometheus metrics (prom-client): one registry per app instance, so tests can build several apps
 * in one process. Implements the service's observer interface; the HTTP layer records requests.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EngineInfo } from '../engines/engine.js';
import type { ModelDescriptor } from '../model/descriptor.js';
import type { ModelObserver, ServiceObserver } from '../service/inference-service.js';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class Metrics implements ServiceObserver {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by route, method and status code',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly requestSeconds = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, from the first byte received to the response sent',
    labelNames: ['route', 'method'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly preprocessSeconds = this.seconds('preprocess_duration_seconds', 'Decode, resize and normalise time per image, by model');

  readonly inferenceSeconds = this.seconds('inference_duration_seconds', 'Engine time per batch, by model');

  readonly batchSize = new Histogram({
    name: 'inference_batch_size',
    help: 'Images per engine batch, by model',
    labelNames: ['model'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [this.registry],
  });

  readonly queueDepthGauge = new Gauge({
    name: 'inference_queue_depth',
    help: 'Images admitted and not yet answered (decoding, queued or running); MAX_QUEUE bounds it',
    registers: [this.registry],
  });

  readonly queueWaitSeconds = this.seconds('inference_queue_wait_seconds', 'Time an image waited in its model\'s batcher queue before its batch started');

  readonly rejectedTotal = new Counter({
    name: 'requests_rejected_total',
    help: 'Requests refused or abandoned, by reason (queue_full, deadline_exceeded, shutting_down, ...) and model (empty when refused before a model was chosen)',
    labelNames: ['reason', 'model'] as const,
    registers: [this.registry],
  });

  readonly modelLoadSeconds = new Gauge({
    name: 'model_load_seconds',
    help: 'Start-up time by phase (fetch, convert, load, warmup)',
    labelNames: ['phase'] as const,
    registers: [this.registry],
  });

  readonly modelInfo = new Gauge({
    name: 'model_info',
    help: 'The model versions serving (value is always 1)',
    labelNames: ['model', 'version', 'engine', 'backend', 'precision'] as const,
    registers: [this.registry],
  });

  /** Live TF.js tensors (TF.js engine only): flat over time, or tensors are leaking. */
  readonly engineTensors = new Gauge({
    name: 'engine_tensors',
    help: 'Live TF.js tensors in the engine (TF.js engine only)',
    registers: [this.registry],
  });

  /** Read at scrape time from the budget that admission charges (see trackMemory). */
  private memory: { readonly capacity: number; readonly used: number } | undefined;

  readonly memoryBudgetBytes = new Gauge({
    name: 'memory_budget_bytes',
    help: 'Memory admission may hand out to uploads and decodes (MEMORY_BUDGET, or sized from the container limit at load)',
    registers: [this.registry],
    collect: () => {
      if (this.memory && Number.isFinite(this.memory.capacity)) this.memoryBudgetBytes.set(this.memory.capacity);
    },
  });

  readonly memoryInUseBytes = new Gauge({
    name: 'memory_budget_in_use_bytes',
    help: 'Memory admission has handed out now: uploads being received and decodes (estimated peak) in progress',
    registers: [this.registry],
    collect: () => {
      if (this.memory) this.memoryInUseBytes.set(this.memory.used);
    },
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** A latency histogram in this registry, labelled by model. */
  private seconds(name: string, help: string): Histogram<'model'> {
    return new Histogram({ name, help, labelNames: ['model'] as const, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  }

  queueDepth(depth: number): void {
    this.queueDepthGauge.set(depth);
  }

  rejected(reason: string, model = ''): void {
    this.rejectedTotal.inc({ reason, model });
  }

  /** The observer one model's batcher and decodes report to: the same metrics, with its name. */
  forModel(model: string): ModelObserver {
    return {
      queueWait: (seconds) => this.queueWaitSeconds.observe({ model }, seconds),
      batchDone: (size, seconds) => {
        this.batchSize.observe({ model }, size);
        this.inferenceSeconds.observe({ model }, seconds);
      },
      preprocessed: (seconds) => this.preprocessSeconds.observe({ model }, seconds),
      rejected: (reason) => this.rejectedTotal.inc({ reason, model }),
    };
  }

  modelServing(d: ModelDescriptor, engine: EngineInfo, serving: boolean): void {
    const labels = { model: d.name, version: d.version, engine: engine.engine, backend: engine.backend, precision: engine.precision };
    if (serving) this.modelInfo.set(labels, 1);
    else this.modelInfo.remove(labels);
  }

  /** Exports the admission budget (capacity and use) at every scrape. */
  trackMemory(budget: { readonly capacity: number; readonly used: number }): void {
    this.memory = budget;
  }

  /** Start-up times by phase, all models together. */
  modelsLoaded(phases: Record<string, number>): void {
    for (const [phase, seconds] of Object.entries(phases)) this.modelLoadSeconds.set({ phase }, seconds);
  }
}
