import { attr } from '../ir/types.js';
import { kerasAxis } from '../layout.js';
import { bool, num, singleAxis } from './config.js';
import type { LayerContext, LayerHandler } from './types.js';

function param(ctx: LayerContext, suffix: string, enabled: boolean, fill: number, size: number): Float32Array {
  if (!enabled) return new Float32Array(size).fill(fill);
  const w = ctx.weight(suffix);
  if (w.data.length !== size) ctx.fail(`weight "${suffix}" has ${w.data.length} values, expected ${size}`);
  return w.data;
}

/**
 * Inference BatchNormalization. When the normalised axis is ONNX axis 1 (conv
 * outputs are stored channels-first) emit ONNX BatchNormalization, which the
 * fold pass merges into a preceding Conv; otherwise a per-channel Mul + Add
 * in the tensor's current layout (no transposes needed).
 */
const batchNormalization: LayerHandler = (ctx) => {
  const x = ctx.input();
  const rank = x.shape.length;
  const axis = kerasAxis(singleAxis(ctx, 'axis', -1), rank);
  const mean = ctx.weight('moving_mean').data;
  const size = mean.length;
  if (typeof x.shape[axis] === 'number' && x.shape[axis] !== size) ctx.fail(`axis ${axis} has size ${x.shape[axis]} but weights have ${size}`);
  const variance = param(ctx, 'moving_variance', true, 1, size);
  const gamma = param(ctx, 'gamma', bool(ctx, 'scale', true), 1, size);
  const beta = param(ctx, 'beta', bool(ctx, 'center', true), 0, size);
  const epsilon = num(ctx, 'epsilon', 1e-3);

  const physical = x.perm.indexOf(axis);
  if (physical === 1 && rank >= 2) {
    const inputs = [x.name, ctx.constant('gamma', [size], gamma), ctx.constant('beta', [size], beta)];
    inputs.push(ctx.constant('moving_mean', [size], mean), ctx.constant('moving_variance', [size], variance));
    return ctx.op('BatchNormalization', inputs, x.shape, x.perm, { epsilon: attr.float(epsilon) });
  }
  const scale = new Float32Array(size);
  const shift = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + epsilon);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  const bdims = x.perm.map((_, i) => (i === physical ? size : 1));
  const scaled = ctx.op('Mul', [x.name, ctx.constant('bn_scale', bdims, scale)], x.shape, x.perm);
  return ctx.op('Add', [scaled.name, ctx.constant('bn_shift', bdims, shift)], x.shape, x.perm);
};

export const normalizationHandlers: Record<string, LayerHandler> = {
  BatchNormalization: batchNormalization,
};
