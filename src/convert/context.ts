import { UnsupportedConfigError, WeightError } from './errors.js';
import type { GraphBuilder } from './ir/builder.js';
import { attr } from './ir/types.js';
import type { Dim, IrAttribute } from './ir/types.js';
import type { JsonObject, LayerCall } from './keras/types.js';
import type { DecodedWeight, WeightStore } from './keras/weights.js';
import { channelsFirstPerm, identityPerm, onnxShape, samePerm, transposeBetween } from './layout.js';
import type { KTensor } from './layout.js';
import type { LayerContext } from './layers/types.js';

/** State shared by all layer calls of one conversion. */
export class ConversionState {
  private readonly transposes = new Map<string, KTensor>();

  constructor(
    readonly builder: GraphBuilder,
    readonly weights: WeightStore,
    readonly batchDim: string,
  ) {}

  /** `t` stored in layout `perm`; each (tensor, layout) pair is transposed at most once. */
  toLayout(t: KTensor, perm: number[]): KTensor {
    if (samePerm(t.perm, perm)) return t;
    const key = `${t.name}|${perm.join(',')}`;
    const cached = this.transposes.get(key);
    if (cached) return cached;
    const target: KTensor = { name: '', shape: t.shape, perm };
    const label = samePerm(perm, identityPerm(perm.length)) ? 'to_keras' : samePerm(perm, channelsFirstPerm(perm.length)) ? 'to_nchw' : 'transpose';
    target.name = this.builder.op('Transpose', [t.name], onnxShape(target), { perm: attr.ints(transposeBetween(t.perm, perm)) }, `${t.name}/${label}`);
    this.transposes.set(key, target);
    return target;
  }
}

/** LayerContext for one call of one Keras layer. */
export class CallContext implements LayerContext {
  readonly builder: GraphBuilder;
  readonly batchDim: string;

  constructor(
    private readonly state: ConversionState,
    private readonly call: LayerCall,
    readonly inputs: readonly KTensor[],
  ) {
    this.builder = state.builder;
    this.batchDim = state.batchDim;
  }

  get layerName(): string {
    return this.call.layer.name;
  }
  get className(): string {
    return this.call.layer.className;
  }
  get config(): JsonObject {
    return this.call.layer.config;
  }

  input(): KTensor {
    if (this.inputs.length !== 1) this.fail(`expects 1 input, got ${this.inputs.length}`);
    return this.inputs[0];
  }

  optionalWeight(suffix: string): DecodedWeight | undefined {
    const w = this.state.weights.forLayer(this.layerName).get(suffix);
    if (w) this.state.weights.markConsumed(w);
    return w;
  }

  weight(suffix: string): DecodedWeight {
    const w = this.optionalWeight(suffix);
    if (w) return w;
    const have = [...this.state.weights.forLayer(this.layerName).keys()];
    throw new WeightError(
      `layer "${this.layerName}" (${this.className}): missing weight "${suffix}" (found: ${have.length ? have.join(', ') : 'none'})`,
    );
  }

  toLayout(t: KTensor, perm: number[]): KTensor {
    return this.state.toLayout(t, perm);
  }
  channelsFirst(t: KTensor): KTensor {
    return this.toLayout(t, channelsFirstPerm(t.shape.length));
  }
  kerasLayout(t: KTensor): KTensor {
    return this.toLayout(t, identityPerm(t.shape.length));
  }

  op(opType: string, inputs: string[], shape: Dim[], perm: number[], attrs: Record<string, IrAttribute> = {}): KTensor {
    const t: KTensor = { name: '', shape, perm };
    t.name = this.builder.op(opType, inputs, onnxShape(t), attrs, `${this.layerName}/${opType}`);
    return t;
  }

  constant(suffix: string, dims: number[], data: ArrayLike<number>): string {
    return this.builder.constF32(`${this.layerName}/${suffix}`, dims, data);
  }
  constI64(suffix: string, values: number[]): string {
    return this.builder.constI64(`${this.layerName}/${suffix}`, values);
  }

  addGraphInput(shape: Dim[]): KTensor {
    return { name: this.builder.addInput(this.layerName, shape), shape, perm: identityPerm(shape.length) };
  }

  fail(detail: string): never {
    throw new UnsupportedConfigError(this.layerName, this.className, detail);
  }
}
