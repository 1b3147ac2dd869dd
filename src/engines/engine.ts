/**
 * The engine contract, after onnxruntime-node's own shape: typed arrays with explicit dims, an
 * explicit `dispose()`. Engines know nothing of images, labels or HTTP; any engine that can run
 * `[N, H, W, C] float32 -> [N, classes] float32` plugs in behind this interface.
 */
import type { EngineName } from '../config/config.js';

// What it takes to build an engine: the model build pipeline's product, defined below the engines.
export type { EngineSpec } from '../pipeline/engine-spec.js';

export interface BatchInput {
  /** Row-major `[N, H, W, C]` values (`[N, C, H, W]` for an NCHW model; `dims` stay `[N, H, W, C]`). */
  data: Float32Array;
  dims: readonly [number, number, number, number];
}

export interface BatchOutput {
  /** Row-major `[N, classes]`. */
  data: Float32Array;
  dims: readonly [number, number];
}

export interface EngineInfo {
  engine: EngineName;
  /** What runs underneath, e.g. `onnxruntime-node 1.30.0 cpu` or `tfjs 4.22.0 wasm`. */
  backend: string;
  precision: string;
  threads: number;
}

export interface EngineStats {
  /** Live TF.js tensors (TF.js only): must return to its baseline after every batch. */
  tensors?: number;
}

export interface InferenceEngine {
  readonly info: EngineInfo;
  run(input: BatchInput): Promise<BatchOutput>;
  stats(): Promise<EngineStats>;
  dispose(): Promise<void>;
}
