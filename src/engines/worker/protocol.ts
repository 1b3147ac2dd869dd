/** Messages between the main thread and the engine worker. */
import type { BatchOutput, EngineInfo, EngineStats } from '../engine.js';

export type ToWorker =
  | { id: number; type: 'run'; data: Float32Array; dims: [number, number, number, number] }
  | { id: number; type: 'stats' }
  | { id: number; type: 'dispose' };

export interface WorkerFailure {
  name: string;
  message: string;
}

export type FromWorker =
  | { type: 'ready'; info: EngineInfo }
  | { type: 'load-failed'; error: WorkerFailure }
  | { id: number; type: 'ran'; output: BatchOutput }
  | { id: number; type: 'stats'; stats: EngineStats }
  | { id: number; type: 'disposed' }
  | { id: number; type: 'failed'; error: WorkerFailure };
