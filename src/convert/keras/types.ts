/** JSON shapes of Keras model configs, and the TF.js layers-model artifacts they come in. */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

// The files' own format is the model module's (it reads them); the converter takes what it reads.
export type { LayersModelArtifacts, WeightSpec } from '../../model/artifacts.js';

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
