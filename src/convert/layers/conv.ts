import { attr } from '../ir/types.js';
import type { Dim, IrAttribute } from '../ir/types.js';
import type { DecodedWeight } from '../keras/weights.js';
import { channelsFirstPerm } from '../layout.js';
import { transposeArray } from '../tensor-math.js';
import type { FloatArray } from '../tensor-math.js';
import { applyActivation } from './activation.js';
import { bool, num, pair, requireChannelsLast, str } from './config.js';
import { pads2d, windowOutputDim } from './spatial.js';
import type { KTensor, LayerContext, LayerHandler } from './types.js';

interface ConvSpec {
  /** ONNX weight [Cout, Cin/group, kh, kw]. */
  weight: FloatArray;
  bias?: Float32Array;
  strides: [number, number];
  dilation: [number, number];
  padding: string;
  group: number;
  suffix: string;
}

function kernelOf(ctx: LayerContext, name: string): DecodedWeight {
  const w = ctx.weight(name);
  if (w.dims.length !== 4) ctx.fail(`weight "${name}" has shape [${w.dims}], expected 4-D`);
  return w;
}

function spatialInput(ctx: LayerContext): KTensor {
  requireChannelsLast(ctx);
  const x = ctx.input();
  if (x.shape.length !== 4) ctx.fail(`expects a 4-D input, got shape [${x.shape}]`);
  return x;
}

function checkChannels(ctx: LayerContext, x: KTensor, expected: number): void {
  const c = x.shape[3];
  if (typeof c === 'number' && c !== expected) ctx.fail(`input has ${c} channels but the kernel expects ${expected}`);
}

/** Emit one ONNX Conv on a channels-first copy of x, with TF-exact explicit pads. */
function emitConv(ctx: LayerContext, x: KTensor, spec: ConvSpec): KTensor {
  const [cout, , kh, kw] = spec.weight.dims;
  const kernel: [number, number] = [kh, kw];
  const pads = pads2d(x.shape, kernel, spec.strides, spec.dilation, spec.padding);
  const attrs: Record<string, IrAttribute> = {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(spec.strides),
    dilations: attr.ints(spec.dilation),
    group: attr.int(spec.group),
    ...(pads ? { pads: attr.ints(pads) } : { auto_pad: attr.string('SAME_UPPER') }),
  };
  const inputs = [ctx.channelsFirst(x).name, ctx.constant(`${spec.suffix}`, spec.weight.dims, spec.weight.data)];
  if (spec.bias) inputs.push(ctx.constant(`${spec.suffix}_bias`, [cout], spec.bias));
  const dim = (i: 0 | 1): Dim => windowOutputDim(x.shape[i + 1], kernel[i], spec.strides[i], spec.dilation[i], spec.padding);
  return ctx.op('Conv', inputs, [x.shape[0], dim(0), dim(1), cout], channelsFirstPerm(4), attrs);
}

function windowConfig(ctx: LayerContext): Pick<ConvSpec, 'strides' | 'dilation' | 'padding'> {
  const padding = str(ctx, 'padding', 'valid');
  if (padding !== 'valid' && padding !== 'same') ctx.fail(`padding "${padding}" is not supported`);
  return { strides: pair(ctx, 'strides', [1, 1]), dilation: pair(ctx, 'dilation_rate', [1, 1]), padding };
}

function optionalBias(ctx: LayerContext): Float32Array | undefined {
  return bool(ctx, 'use_bias', true) ? ctx.weight('bias').data : undefined;
}

const conv2d: LayerHandler = (ctx) => {
  const x = spatialInput(ctx);
  const k = kernelOf(ctx, 'kernel'); // Keras [kh, kw, Cin/groups, Cout]
  const groups = num(ctx, 'groups', 1);
  checkChannels(ctx, x, k.dims[2] * groups);
  const y = emitConv(ctx, x, {
    ...windowConfig(ctx),
    weight: transposeArray(k, [3, 2, 0, 1]),
    bias: optionalBias(ctx),
    group: groups,
    suffix: 'kernel',
  });
  return applyActivation(ctx, y);
};

/** Keras depthwise [kh, kw, C, M] -> ONNX [C*M, 1, kh, kw]; output channel c*M+m as in TF. */
function depthwiseWeight(k: DecodedWeight): FloatArray {
  const [kh, kw, c, m] = k.dims;
  const t = transposeArray(k, [2, 3, 0, 1]);
  return { dims: [c * m, 1, kh, kw], data: t.data };
}

const depthwiseConv2d: LayerHandler = (ctx) => {
  const x = spatialInput(ctx);
  const k = kernelOf(ctx, 'depthwise_kernel');
  checkChannels(ctx, x, k.dims[2]);
  const y = emitConv(ctx, x, {
    ...windowConfig(ctx),
    weight: depthwiseWeight(k),
    bias: optionalBias(ctx),
    group: k.dims[2],
    suffix: 'depthwise_kernel',
  });
  return applyActivation(ctx, y);
};

/** Depthwise conv (no bias) followed by a 1x1 pointwise conv carrying the bias. */
const separableConv2d: LayerHandler = (ctx) => {
  const x = spatialInput(ctx);
  const dk = kernelOf(ctx, 'depthwise_kernel');
  const pk = kernelOf(ctx, 'pointwise_kernel'); // [1, 1, C*M, Cout]
  checkChannels(ctx, x, dk.dims[2]);
  const dw = emitConv(ctx, x, { ...windowConfig(ctx), weight: depthwiseWeight(dk), group: dk.dims[2], suffix: 'depthwise_kernel' });
  const y = emitConv(ctx, dw, {
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
    weight: transposeArray(pk, [3, 2, 0, 1]),
    bias: optionalBias(ctx),
    group: 1,
    suffix: 'pointwise_kernel',
  });
  return applyActivation(ctx, y);
};

export const convHandlers: Record<string, LayerHandler> = {
  Conv2D: conv2d,
  Convolution2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  SeparableConvolution2D: separableConv2d,
};
