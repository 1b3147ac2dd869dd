/** The service's public types: its states, what it reports, what it is built from. */
import type { Config } from '../config/config.js';
import type { EngineSpec, InferenceEngine } from '../engines/engine.js';
import type { PreparedModel, PrepareHooks } from '../pipeline/prepare.js';
import type { BatchObserver } from './batcher.js';
import type { Prediction } from './topk.js';

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
  /** What admission may charge, and where that figure came from. */
  memoryBudgetBytes: number;
  memoryBudgetSource: 'MEMORY_BUDGET' | 'cgroup' | 'machine';
}

export type ServiceSettings = Config;

/** Builds the engine for a prepared model; `onFatal` reports its death after start. */
export type EngineFactory = (spec: EngineSpec, onFatal: (err: Error) => void) => Promise<InferenceEngine>;

/** What the service is built from; defaults are the production ones (tests swap them). */
export interface ServiceDeps {
  /** Default: the engine in a worker thread. */
  engineFactory?: EngineFactory;
  /** Default: fetch/convert/quantize as configured (`prepareModel`). */
  prepare?: (config: Config, hooks: PrepareHooks) => Promise<PreparedModel>;
  /** Memory the process may use, and its resident size once loaded (defaults: cgroup, RSS). */
  memory?: { limit: () => { bytes: number; source: 'cgroup' | 'machine' }; residentBytes: () => number };
}

/** Deadline (performance.now() ms) and abort signal of the request the work is for. */
export interface WorkContext {
  signal?: AbortSignal;
  deadlineAt?: number;
}
