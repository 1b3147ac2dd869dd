import { attr } from '../ir/types.js';
import { onnxAxis } from '../layout.js';
import { transposeArray } from '../tensor-math.js';
import { num, optNum, singleAxis } from './config.js';
import type { KTensor, LayerContext, LayerHandler } from './types.js';

type ActivationFn = (ctx: LayerContext, t: KTensor) => KTensor;

const unary =
  (opType: string, attrs: Record<string, number> = {}): ActivationFn =>
  (ctx, t) =>
    ctx.op(opType, [t.name], t.shape, t.perm, Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, attr.float(v)])));

const mul = (ctx: LayerContext, a: KTensor, b: string): KTensor => ctx.op('Mul', [a.name, b], a.shape, a.perm);
const scalar = (ctx: LayerContext, name: string, v: number): string => ctx.constant(name, [], [v]);

/** Clip with optional bounds ('' = omitted input, opset 11+ form). */
function clip(ctx: LayerContext, t: KTensor, min: number | null, max: number | null): KTensor {
  const lo = min === null ? '' : scalar(ctx, 'clip_min', min);
  const hi = max === null ? '' : scalar(ctx, 'clip_max', max);
  return ctx.op('Clip', [t.name, lo, hi], t.shape, t.perm);
}

/** Softmax-like ops act on Keras' last axis, wherever it lives physically. */
const lastAxis =
  (opType: string): ActivationFn =>
  (ctx, t) =>
    ctx.op(opType, [t.name], t.shape, t.perm, { axis: attr.int(onnxAxis(t, -1)) });

// Keras' own constants (tf.nn.selu), not the ONNX defaults.
const SELU_ALPHA = 1.6732632423543772;
const SELU_GAMMA = 1.0507009873554805;

/** Keras activation name -> ONNX ops. */
const activations: Record<string, ActivationFn> = {
  linear: (_ctx, t) => t,
  relu: unary('Relu'),
  relu6: (ctx, t) => clip(ctx, t, 0, 6),
  sigmoid: unary('Sigmoid'),
  // Keras 2 / tfjs definition: clip(0.2 x + 0.5, 0, 1).
  hard_sigmoid: unary('HardSigmoid', { alpha: 0.2, beta: 0.5 }),
  tanh: unary('Tanh'),
  softmax: lastAxis('Softmax'),
  log_softmax: lastAxis('LogSoftmax'),
  elu: unary('Elu', { alpha: 1 }),
  selu: unary('Selu', { alpha: SELU_ALPHA, gamma: SELU_GAMMA }),
  softplus: unary('Softplus'),
  softsign: unary('Softsign'),
  exponential: unary('Exp'),
  swish: (ctx, t) => mul(ctx, t, unary('Sigmoid')(ctx, t).name),
  mish: (ctx, t) => mul(ctx, t, unary('Tanh')(ctx, unary('Softplus')(ctx, t)).name),
  // 0.5 x (1 + erf(x / sqrt 2))
  gelu: (ctx, t) => {
    const e = unary('Erf')(ctx, mul(ctx, t, scalar(ctx, 'gelu_inv_sqrt2', Math.SQRT1_2)));
    const onePlus = ctx.op('Add', [e.name, scalar(ctx, 'gelu_one', 1)], t.shape, t.perm);
    return mul(ctx, mul(ctx, t, onePlus.name), scalar(ctx, 'gelu_half', 0.5));
  },
  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  gelu_new: (ctx, t) => {
    const x3 = mul(ctx, mul(ctx, t, t.name), t.name);
    const inner = ctx.op('Add', [t.name, mul(ctx, x3, scalar(ctx, 'gelu_c', 0.044715)).name], t.shape, t.perm);
    const th = unary('Tanh')(ctx, mul(ctx, inner, scalar(ctx, 'gelu_k', Math.sqrt(2 / Math.PI))));
    const onePlus = ctx.op('Add', [th.name, scalar(ctx, 'gelu_one', 1)], t.shape, t.perm);
    return mul(ctx, mul(ctx, t, onePlus.name), scalar(ctx, 'gelu_half', 0.5));
  },
};
activations.silu = activations.swish;

/** Accepts 'relu', 'hardSigmoid' or a Keras 3 serialized `{class_name:'function', config:'relu'}`. */
function activationName(ctx: LayerContext, key: string): string {
  const v = ctx.config[key];
  if (v === undefined || v === null) return 'linear';
  const raw = typeof v === 'string' ? v : typeof v === 'object' && !Array.isArray(v) && typeof v.config === 'string' ? v.config : null;
  if (raw === null) return ctx.fail(`cannot read activation ${JSON.stringify(v)}`);
  return raw.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Apply the activation named by config[key] (default key 'activation'); used for fused activations too. */
export function applyActivation(ctx: LayerContext, t: KTensor, key = 'activation'): KTensor {
  const name = activationName(ctx, key);
  const fn = activations[name];
  if (!fn) return ctx.fail(`activation "${name}" is not supported`);
  return fn(ctx, t);
}

/**
 * Keras relu(x, negative_slope, max_value, threshold), mirroring the TF
 * backend formula: clip(x * (x > threshold), 0, max) - slope * relu(threshold - x).
 */
function generalRelu(ctx: LayerContext, t: KTensor, slope: number, max: number | null, threshold: number): KTensor {
  if (threshold === 0 && slope === 0) return max === null ? unary('Relu')(ctx, t) : clip(ctx, t, 0, max);
  if (threshold === 0 && max === null) return unary('LeakyRelu', { alpha: slope })(ctx, t);
  let pos: KTensor;
  if (threshold === 0) pos = unary('Relu')(ctx, t);
  else {
    const thr = scalar(ctx, 'threshold', threshold);
    const [above] = ctx.builder.addNode('Greater', [t.name, thr], {
      name: `${ctx.layerName}/Greater`,
      shapes: [ctx.builder.getShape(t.name)],
      elemType: 'bool',
    });
    pos = ctx.op('Where', [above, t.name, scalar(ctx, 'zero', 0)], t.shape, t.perm);
  }
  if (max !== null) pos = clip(ctx, pos, 0, max);
  if (slope === 0) return pos;
  const diff =
    threshold === 0
      ? ctx.op('Neg', [t.name], t.shape, t.perm)
      : ctx.op('Sub', [scalar(ctx, 'threshold', threshold), t.name], t.shape, t.perm);
  const neg = mul(ctx, unary('Relu')(ctx, diff), scalar(ctx, 'negative_slope', slope));
  return ctx.op('Sub', [pos.name, neg.name], t.shape, t.perm);
}

/** PReLU: learned slope per element (broadcast over shared_axes), stored in the input's layout. */
function prelu(ctx: LayerContext): KTensor {
  const t = ctx.input();
  const alpha = ctx.weight('alpha');
  const dims = [1, ...alpha.dims];
  if (dims.length !== t.shape.length) ctx.fail(`alpha shape [${alpha.dims}] does not fit input rank ${t.shape.length}`);
  const slope = transposeArray({ dims, data: alpha.data }, t.perm);
  return ctx.op('PRelu', [t.name, ctx.constant('alpha', slope.dims, slope.data)], t.shape, t.perm);
}

export const activationHandlers: Record<string, LayerHandler> = {
  Activation: (ctx) => applyActivation(ctx, ctx.input()),
  ReLU: (ctx) => generalRelu(ctx, ctx.input(), num(ctx, 'negative_slope', 0), optNum(ctx, 'max_value') ?? null, num(ctx, 'threshold', 0)),
  // Keras 2 calls the slope 'alpha', Keras 3 'negative_slope'.
  LeakyReLU: (ctx) => unary('LeakyRelu', { alpha: optNum(ctx, 'negative_slope') ?? num(ctx, 'alpha', 0.3) })(ctx, ctx.input()),
  ELU: (ctx) => unary('Elu', { alpha: num(ctx, 'alpha', 1) })(ctx, ctx.input()),
  ThresholdedReLU: (ctx) => unary('ThresholdedRelu', { alpha: num(ctx, 'theta', 1) })(ctx, ctx.input()),
  Softmax: (ctx) => {
    const t = ctx.input();
    return ctx.op('Softmax', [t.name], t.shape, t.perm, { axis: attr.int(onnxAxis(t, singleAxis(ctx, 'axis', -1))) });
  },
  PReLU: prelu,
};
