/**
 * Intermediate graph representation: plain objects mirroring the parts of
 * ONNX we emit. Handlers build it, passes rewrite it, onnx/encode.ts
 * serialises it. Kept independent of protobuf so later stages (e.g. int8
 * QDQ insertion) can edit it directly.
 */

/** A static dimension, a symbolic one (dim_param), or unknown. */
export type Dim = number | string | null;

export type TensorDataType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

/**
 * Constant tensor (initializer). float16 data is raw Uint16 bits, bool data is
 * Uint8 0/1. `data` may alias decoded weights: replace it, never mutate it.
 */
export interface IrTensor {
  name: string;
  dataType: TensorDataType;
  dims: number[];
  data: TensorData;
}

export type IrAttribute =
  | { type: 'int'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'float'; value: number }
  | { type: 'floats'; value: number[] }
  | { type: 'string'; value: string };

export interface IrNode {
  name: string;
  opType: string;
  /** '' / undefined = default ONNX domain. */
  domain?: string;
  /** '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, IrAttribute>;
}

export interface IrValueInfo {
  name: string;
  elemType: TensorDataType;
  /** null = rank unknown. */
  shape: Dim[] | null;
}

export interface IrGraph {
  name: string;
  /** Kept in topological order (encodeModel re-sorts defensively). */
  nodes: IrNode[];
  initializers: Map<string, IrTensor>;
  inputs: IrValueInfo[];
  outputs: IrValueInfo[];
  /** Shapes of intermediate tensors (not inputs/outputs/initializers). */
  valueInfo: Map<string, IrValueInfo>;
}

export interface IrModel {
  graph: IrGraph;
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  metadata: Record<string, string>;
}

/** Attribute constructors, so call sites state the ONNX type explicitly. */
export const attr = {
  int: (value: number): IrAttribute => ({ type: 'int', value }),
  ints: (value: number[]): IrAttribute => ({ type: 'ints', value: [...value] }),
  float: (value: number): IrAttribute => ({ type: 'float', value }),
  floats: (value: number[]): IrAttribute => ({ type: 'floats', value: [...value] }),
  string: (value: string): IrAttribute => ({ type: 'string', value }),
};
