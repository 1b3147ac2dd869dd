/** The service's public types: its states, what it reports, what it is built from. */
import type { Config } from '../config/config.js';
import type { EngineInfo, EngineSpec, InferenceEngine } from '../engines/engine.js';
import type { ModelDescriptor } from '../model/descriptor.js';
import type { PreparedModel, PrepareHooks } from '../pipeline/prepare.js';
import type { ModelEntry, VersionEntry } from '../pipeline/repository.js';
import type { BatchObserver } from './batcher.js';
import type { Prediction } from './topk.js';

export type ServiceState = 'idle' | 'loading' | 'ready' | 'draining' | 'stopped' | 'failed';

/** What one model reports to metrics (labelled with its name). */
export interface ModelObserver extends BatchObserver {
  preprocessed(seconds: number): void;
  rejected(reason: string): void;
}

/** What the service reports to metrics; no-ops by default. */
export interface ServiceObserver {
  /** Images admitted and not yet answered, all models together. */
  queueDepth(depth: number): void;
  /** A refusal; `model` when the request had been matched to one. */
  rejected(reason: string, model?: string): void;
  forModel(name: string): ModelObserver;
  /** A version started (`serving`) or stopped serving. */
  modelServing(d: ModelDescriptor, engine: EngineInfo, serving: boolean): void;
}

const noopModelObserver: ModelObserver = { queueWait: () => {}, batchDone: () => {}, preprocessed: () => {}, rejected: () => {} };

export const noopObserver: ServiceObserver = { queueDepth: () => {}, rejected: () => {}, forModel: () => noopModelObserver, modelServing: () => {} };

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
  /** Each model's serving version and its times (the sums above add them up). */
  models: { name: string; version: string; fetchSeconds: number; convertSeconds: number; loadSeconds: number; warmupSeconds: number }[];
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
  /** Default: the models MODEL_PATH or MODEL_REPOSITORY holds (`scanRepository`). */
  scan?: (config: Config) => Promise<ModelEntry[]>;
  /** Default: read/fetch/convert/quantize as configured (`prepareVersion`). */
  prepare?: (config: Config, version: VersionEntry, hooks: PrepareHooks) => Promise<PreparedModel>;
  /** Default: the model file's size and mtime (`versionStamp`). */
  stamp?: (version: VersionEntry) => Promise<string>;
  /** Where model loads and swaps are logged (default: nowhere). */
  log?: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Memory the process may use, and its resident size once loaded (defaults: cgroup, RSS). */
  memory?: { limit: () => { bytes: number; source: 'cgroup' | 'machine' }; residentBytes: () => number };
}

/** Deadline (performance.now() ms) and abort signal of the request the work is for. */
export interface WorkContext {
  signal?: AbortSignal;
  deadlineAt?: number;
}
