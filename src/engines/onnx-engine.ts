/** ONNX Runtime (CPU) engine: the fast path. */
import ort from '../runtime/onnxruntime.js';
import { StartupError } from '../errors.js';
import type { BatchInput, BatchOutput, EngineInfo, EngineStats, InferenceEngine } from './engine.js';

export class OnnxEngine implements InferenceEngine {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: EngineInfo,
    private readonly layout: 'NHWC' | 'NCHW',
  ) {}

  /** `layout` NCHW: rows arrive planar `[C, H, W]` and the model is fed `[N, C, H, W]`. */
  static async load(modelPath: string, threads: number, precision: string, layout: 'NHWC' | 'NCHW' = 'NHWC'): Promise<OnnxEngine> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelPath, {
        executionProviders: ['cpu'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: threads,
        // One graph at a time: batching, not inter-op parallelism, is how we fill the cores.
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // No busy-waiting between parallel sections: the cores are shared with image decoding, and a
        // spinning thread steals them from it (measured: equal or better throughput end to end).
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
    } catch (err) {
      throw new StartupError(`ONNX Runtime cannot load ${modelPath}: ${(err as Error).message}`, { cause: err });
    }
    const info: EngineInfo = { engine: 'onnx', backend: `onnxruntime-node ${ort.env.versions.node ?? ''} cpu`.trim(), precision, threads };
    return new OnnxEngine(session, info, layout);
  }

  async run(input: BatchInput): Promise<BatchOutput> {
    const [n, h, w, c] = input.dims;
    const dims = this.layout === 'NCHW' ? [n, c, h, w] : [n, h, w, c];
    const feeds = { [this.session.inputNames[0]]: new ort.Tensor('float32', input.data, dims) };
    const results = await this.session.run(feeds);
    const out = results[this.session.outputNames[0]];
    const data = out.data as Float32Array;
    return { data, dims: [input.dims[0], data.length / input.dims[0]] };
  }

  async stats(): Promise<EngineStats> {
    return {};
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
