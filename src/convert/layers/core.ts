import type { Dim } from '../ir/types.js';
import { isJsonObject } from '../keras/types.js';
import type { JsonValue } from '../keras/types.js';
import { identityPerm } from '../layout.js';
import { applyActivation } from './activation.js';
import { bool, num, shapeList } from './config.js';
import type { LayerContext, LayerHandler } from './types.js';

/** dtype as a string; Keras 3 may write a DTypePolicy object `{config: {name}}`. */
function dtypeName(v: JsonValue | undefined): string | undefined {
  if (typeof v === 'string') return v;
  if (isJsonObject(v) && isJsonObject(v.config) && typeof v.config.name === 'string') return v.config.name;
  return undefined;
}

/** Graph input in Keras layout; a null batch dim becomes the symbolic batch dim. */
const inputLayer: LayerHandler = (ctx) => {
  const inputShape = shapeList(ctx, 'input_shape');
  const shape = shapeList(ctx, 'batch_input_shape') ?? shapeList(ctx, 'batch_shape') ?? (inputShape ? [null, ...inputShape] : undefined);
  if (!shape) return ctx.fail('no batch_input_shape / batch_shape');
  const dtype = dtypeName(ctx.config.dtype) ?? 'float32';
  if (dtype !== 'float32') ctx.fail(`input dtype "${dtype}" is not supported (only float32)`);
  const dims: Dim[] = shape.map((d, i) => (i === 0 && d === null ? ctx.batchDim : d));
  return ctx.addGraphInput(dims);
};

/** Dense on the last axis: Gemm for 2-D inputs, MatMul + Add otherwise. */
const dense: LayerHandler = (ctx) => {
  const k = ctx.weight('kernel');
  if (k.dims.length !== 2) ctx.fail(`kernel has shape [${k.dims}], expected 2-D`);
  const [fanIn, units] = k.dims;
  const input = ctx.input();
  const last = input.shape[input.shape.length - 1];
  if (typeof last === 'number' && last !== fanIn) ctx.fail(`input has ${last} features but the kernel expects ${fanIn}`);
  const w = ctx.constant('kernel', k.dims, k.data);
  const bias = bool(ctx, 'use_bias', true) ? ctx.constant('bias', [units], ctx.weight('bias').data) : undefined;
  const x = ctx.kerasLayout(input);
  const shape = [...x.shape.slice(0, -1), units];
  const perm = identityPerm(shape.length);
  let y;
  if (x.shape.length === 2) y = ctx.op('Gemm', bias ? [x.name, w, bias] : [x.name, w], shape, perm);
  else {
    y = ctx.op('MatMul', [x.name, w], shape, perm);
    if (bias) y = ctx.op('Add', [y.name, bias], shape, perm);
  }
  return applyActivation(ctx, y);
};

/** Inference-time no-ops: the Keras tensor simply aliases its input. */
const identity: LayerHandler = (ctx: LayerContext) => ctx.input();

/** y = x * scale + offset (Keras preprocessing layer). */
const rescaling: LayerHandler = (ctx) => {
  const x = ctx.input();
  const scaled = ctx.op('Mul', [x.name, ctx.constant('scale', [], [num(ctx, 'scale')])], x.shape, x.perm);
  const offset = num(ctx, 'offset', 0);
  return offset === 0 ? scaled : ctx.op('Add', [scaled.name, ctx.constant('offset', [], [offset])], x.shape, x.perm);
};

export const coreHandlers: Record<string, LayerHandler> = {
  InputLayer: inputLayer,
  Dense: dense,
  Dropout: identity,
  SpatialDropout1D: identity,
  SpatialDropout2D: identity,
  SpatialDropout3D: identity,
  AlphaDropout: identity,
  GaussianDropout: identity,
  GaussianNoise: identity,
  ActivityRegularization: identity,
  Rescaling: rescaling,
};
