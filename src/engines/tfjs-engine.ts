/**
 * TF.js engine: runs the Keras layers model as published. Uses `@tensorflow/tfjs-node` (native
 * libtensorflow) when the user has installed it, without it being a dependency; otherwise
 * `@tensorflow/tfjs` on the WebAssembly backend (the pure-JS cpu backend is ~25x slower).
 */
import type * as TF from '@tensorflow/tfjs';
import { StartupError } from '../errors.js';
import { readLayersModel } from '../model/artifacts.js';
import type { BatchInput, BatchOutput, EngineInfo, EngineStats, InferenceEngine } from './engine.js';

type Tf = typeof TF;

/** tfjs-node re-exports the whole tfjs API with its native backend registered. */
async function loadTf(): Promise<{ tf: Tf; backend: string }> {
  const optional = '@tensorflow/tfjs-node'; // a variable: TypeScript must not require it to exist
  try {
    const tf = (await import(optional)) as Tf;
    await tf.ready();
    return { tf, backend: tf.getBackend() };
  } catch {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) throw new StartupError('the TF.js wasm backend failed to initialise');
    await tf.ready();
    return { tf, backend: 'wasm' };
  }
}

export class TfjsEngine implements InferenceEngine {
  private constructor(
    private readonly tf: Tf,
    private readonly model: TF.LayersModel,
    readonly info: EngineInfo,
  ) {}

  static async load(modelJsonPath: string): Promise<TfjsEngine> {
    const { tf, backend } = await loadTf();
    const artifacts = await readLayersModel(modelJsonPath);
    let model: TF.LayersModel;
    try {
      model = await tf.loadLayersModel(tf.io.fromMemory(artifacts as TF.io.ModelArtifacts));
    } catch (err) {
      throw new StartupError(`TF.js cannot load ${modelJsonPath}: ${(err as Error).message}`, { cause: err });
    }
    return new TfjsEngine(tf, model, { engine: 'tfjs', backend: `tfjs ${tf.version.tfjs} ${backend}`, precision: 'fp32', threads: 1 });
  }

  async run(input: BatchInput): Promise<BatchOutput> {
    const tf = this.tf;
    const x = tf.tensor4d(input.data, [...input.dims]);
    const y = this.model.predict(x) as TF.Tensor;
    try {
      const data = (await y.data()) as Float32Array;
      return { data, dims: [input.dims[0], data.length / input.dims[0]] };
    } finally {
      tf.dispose([x, y]);
    }
  }

  async stats(): Promise<EngineStats> {
    return { tensors: this.tf.memory().numTensors };
  }

  async dispose(): Promise<void> {
    this.model.dispose();
  }
}
