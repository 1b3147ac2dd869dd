/**
 * Reads a cached TF.js layers model (model.json + weight shards) from disk.
 * The result is what both TF.js (`tf.io.fromMemory`) and the ONNX converter take, without
 * importing TF.js (the ONNX path must not pay for loading it).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../errors.js';

/** tfjs weights-manifest entry; structurally compatible with tf.io.WeightsManifestEntry. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: {
    dtype: string;
    scale?: number;
    min?: number;
    original_dtype?: string;
  };
}

/**
 * The subset of tf.io.ModelArtifacts a layers model needs; a tf.io.ModelArtifacts
 * value is assignable to it. `modelTopology` is the Keras model JSON
 * (`{keras_version, backend, model_config}` or the bare model config).
 */
export interface LayersModelArtifacts {
  modelTopology?: unknown;
  weightSpecs?: WeightSpec[];
  weightData?: ArrayBuffer | ArrayBuffer[];
}

interface ModelJson {
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
}

export async function readLayersModel(modelJsonPath: string): Promise<Required<LayersModelArtifacts>> {
  const dir = path.dirname(modelJsonPath);
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson;
  } catch (err) {
    throw new StartupError(`cannot read model ${modelJsonPath}: ${(err as Error).message}`, { cause: err });
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new StartupError(`${modelJsonPath} is not a TF.js layers model (no modelTopology/weightsManifest)`);
  }
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      shards.push(
        await readFile(path.join(dir, p)).catch((err: NodeJS.ErrnoException) => {
          throw new StartupError(`${modelJsonPath}: cannot read weight shard ${p} (${err.code ?? err.message})`, { cause: err });
        }),
      );
    }
  }
  const all = Buffer.concat(shards);
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    // A standalone ArrayBuffer: TF.js and the converter index it from offset 0.
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

