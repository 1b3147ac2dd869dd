/** JSON shapes of TF.js layers-model artifacts and Keras model configs. */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

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

/** A Keras layer as found in the model config. */
export interface KerasLayer {
  name: string;
  className: string;
  config: JsonObject;
}

/** Identifies one Keras tensor: output `tensor` of call `node` of `layer`. */
export interface TensorKey {
  layer: string;
  node: number;
  tensor: number;
}

/** One invocation of a layer (a Keras "node"). */
export interface LayerCall {
  layer: KerasLayer;
  /** Index of this call among the layer's calls (Keras node index). */
  nodeIndex: number;
  inputs: TensorKey[];
}

export interface ParsedModel {
  name: string;
  kerasVersion?: string;
  backend?: string;
  inputs: TensorKey[];
  outputs: TensorKey[];
  /** Calls needed for the outputs, in topological order. */
  calls: LayerCall[];
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function tensorKeyId(k: TensorKey): string {
  return `${k.layer}:${k.node}:${k.tensor}`;
}
