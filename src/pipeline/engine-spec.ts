/**
 * What the pipeline hands to an engine: which engine, the model file it built for it, and its
 * threads. Plain data, so it can cross into the engine's worker thread.
 */
export type EngineSpec =
  | {
      engine: 'onnx';
      modelPath: string;
      threads: number;
      precision: string;
      /** `NCHW`: the model takes `[N, C, H, W]` (rows are written planar; the engine feeds those dims). */
      inputLayout?: 'NCHW';
    }
  | { engine: 'tfjs'; modelJsonPath: string; threads: number };
