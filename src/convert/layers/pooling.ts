import { attr } from '../ir/types.js';
import type { Dim, IrAttribute } from '../ir/types.js';
import { channelsFirstPerm, identityPerm } from '../layout.js';
import { bool, pair, requireChannelsLast, str } from './config.js';
import { pads2d, windowOutputDim } from './spatial.js';
import type { KTensor, LayerContext, LayerHandler } from './types.js';

function input4d(ctx: LayerContext): KTensor {
  requireChannelsLast(ctx);
  const x = ctx.input();
  if (x.shape.length !== 4) ctx.fail(`expects a 4-D input, got shape [${x.shape}]`);
  return x;
}

/**
 * MaxPool / AveragePool with TF-exact explicit pads. TF max-pool 'same'
 * ignores padded cells (ONNX pads act as -inf: same); TF average 'same'
 * excludes padding from the divisor (ONNX count_include_pad=0: same).
 */
const pool2d =
  (opType: 'MaxPool' | 'AveragePool'): LayerHandler =>
  (ctx) => {
    const x = input4d(ctx);
    const kernel = pair(ctx, 'pool_size', [2, 2]);
    const strides = pair(ctx, 'strides', kernel); // Keras: strides=None means pool_size
    const padding = str(ctx, 'padding', 'valid');
    if (padding !== 'valid' && padding !== 'same') ctx.fail(`padding "${padding}" is not supported`);
    const pads = pads2d(x.shape, kernel, strides, [1, 1], padding);
    const attrs: Record<string, IrAttribute> = {
      kernel_shape: attr.ints(kernel),
      strides: attr.ints(strides),
      ...(pads ? { pads: attr.ints(pads) } : { auto_pad: attr.string('SAME_UPPER') }),
    };
    if (opType === 'AveragePool') attrs.count_include_pad = attr.int(0);
    const dim = (i: 0 | 1): Dim => windowOutputDim(x.shape[i + 1], kernel[i], strides[i], 1, padding);
    return ctx.op(opType, [ctx.channelsFirst(x).name], [x.shape[0], dim(0), dim(1), x.shape[3]], channelsFirstPerm(4), attrs);
  };

/** Global pooling over H, W; keepdims (newer Keras) keeps [N,1,1,C]. */
const globalPool2d =
  (opType: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerHandler =>
  (ctx) => {
    const x = input4d(ctx);
    const pooled = ctx.op(opType, [ctx.channelsFirst(x).name], [x.shape[0], 1, 1, x.shape[3]], channelsFirstPerm(4));
    if (bool(ctx, 'keepdims', false)) return pooled;
    // [N, C, 1, 1] -> [N, C]: identical data in channels-last order.
    return ctx.op('Flatten', [pooled.name], [x.shape[0], x.shape[3]], identityPerm(2), { axis: attr.int(1) });
  };

export const poolingHandlers: Record<string, LayerHandler> = {
  MaxPooling2D: pool2d('MaxPool'),
  MaxPool2D: pool2d('MaxPool'),
  AveragePooling2D: pool2d('AveragePool'),
  AvgPool2D: pool2d('AveragePool'),
  GlobalAveragePooling2D: globalPool2d('GlobalAveragePool'),
  GlobalAvgPool2D: globalPool2d('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPool2d('GlobalMaxPool'),
  GlobalMaxPool2D: globalPool2d('GlobalMaxPool'),
};
