import type { GraphBuilder } from '../ir/builder.js';
import type { Dim, IrAttribute } from '../ir/types.js';
import type { DecodedWeight } from '../keras/weights.js';
import type { JsonObject } from '../keras/types.js';
import type { KTensor } from '../layout.js';

export type { KTensor } from '../layout.js';

/** What a layer handler sees: one call of one Keras layer. */
export interface LayerContext {
  readonly layerName: string;
  readonly className: string;
  readonly config: JsonObject;
  readonly inputs: readonly KTensor[];
  readonly builder: GraphBuilder;
  /** Name of the symbolic batch dimension (e.g. 'N'). */
  readonly batchDim: string;

  /** The only input (fails if the call has several). */
  input(): KTensor;
  /** A weight of this layer by suffix (`kernel`, `bias`, ...); fails if missing. */
  weight(suffix: string): DecodedWeight;
  optionalWeight(suffix: string): DecodedWeight | undefined;

  /** `t` stored in layout `perm` (inserts a cached Transpose when needed). */
  toLayout(t: KTensor, perm: number[]): KTensor;
  /** Channels-first storage (NCHW for 4-D), as ONNX Conv/Pool want. */
  channelsFirst(t: KTensor): KTensor;
  /** Plain Keras (channels-last) storage. */
  kerasLayout(t: KTensor): KTensor;

  /** Emit a node whose output is a tensor with Keras shape `shape` stored in layout `perm`. */
  op(opType: string, inputs: string[], shape: Dim[], perm: number[], attrs?: Record<string, IrAttribute>): KTensor;
  /** Float initializer named after this layer. */
  constant(suffix: string, dims: number[], data: ArrayLike<number>): string;
  /** 1-D int64 initializer named after this layer. */
  constI64(suffix: string, values: number[]): string;
  /** Declare a graph input named after this layer (InputLayer). */
  addGraphInput(shape: Dim[]): KTensor;
  /** Throw UnsupportedConfigError for this layer. */
  fail(detail: string): never;
}

/** Converts one Keras layer call; returns its output tensor(s). */
export type LayerHandler = (ctx: LayerContext) => KTensor | KTensor[];
