import { attr } from '../ir/types.js';
import type { Dim } from '../ir/types.js';
import { kerasAxis, onnxAxis } from '../layout.js';
import { num } from './config.js';
import type { KTensor, LayerContext, LayerHandler } from './types.js';

/** All inputs in the first input's layout, so elementwise/concat ops line up. */
function aligned(ctx: LayerContext, min: number): KTensor[] {
  if (ctx.inputs.length < min) ctx.fail(`expects at least ${min} inputs, got ${ctx.inputs.length}`);
  const rank = ctx.inputs[0].shape.length;
  if (ctx.inputs.some((t) => t.shape.length !== rank)) ctx.fail('inputs have different ranks');
  const perm = ctx.inputs[0].perm;
  return ctx.inputs.map((t) => ctx.toLayout(t, perm));
}

/** Elementwise result shape (Keras merge layers broadcast size-1 dims). */
function broadcastShape(ts: KTensor[]): Dim[] {
  return ts[0].shape.map((_, i) => {
    const dims = ts.map((t) => t.shape[i]);
    return dims.find((d) => typeof d === 'number' && d !== 1) ?? dims.find((d) => d !== 1 && d !== null) ?? dims[0];
  });
}

/** Left fold of a binary op: keeps plain binary Add/Mul nodes (what QDQ tooling expects). */
const chain =
  (opType: string): LayerHandler =>
  (ctx) => {
    const ts = aligned(ctx, 2);
    const shape = broadcastShape(ts);
    return ts.slice(1).reduce((acc, t) => ctx.op(opType, [acc.name, t.name], shape, acc.perm), ts[0]);
  };

const variadic =
  (opType: string): LayerHandler =>
  (ctx) => {
    const ts = aligned(ctx, 2);
    return ctx.op(opType, ts.map((t) => t.name), broadcastShape(ts), ts[0].perm);
  };

const subtract: LayerHandler = (ctx) => {
  if (ctx.inputs.length !== 2) ctx.fail(`expects exactly 2 inputs, got ${ctx.inputs.length}`);
  const [a, b] = aligned(ctx, 2);
  return ctx.op('Sub', [a.name, b.name], broadcastShape([a, b]), a.perm);
};

const average: LayerHandler = (ctx) => {
  const sum = chain('Add')(ctx) as KTensor;
  return ctx.op('Mul', [sum.name, ctx.constant('inv_count', [], [1 / ctx.inputs.length])], sum.shape, sum.perm);
};

/** Concat along the Keras axis, mapped to wherever that axis lives physically. */
const concatenate: LayerHandler = (ctx) => {
  const ts = aligned(ctx, 1);
  const rank = ts[0].shape.length;
  const axis = kerasAxis(num(ctx, 'axis', -1), rank);
  const shape = [...ts[0].shape];
  const sizes = ts.map((t) => t.shape[axis]);
  shape[axis] = sizes.every((d): d is number => typeof d === 'number') ? sizes.reduce((a, b) => a + b, 0) : null;
  return ctx.op('Concat', ts.map((t) => t.name), shape, ts[0].perm, { axis: attr.int(onnxAxis(ts[0], axis)) });
};

export const mergeHandlers: Record<string, LayerHandler> = {
  Add: chain('Add'),
  Multiply: chain('Mul'),
  Subtract: subtract,
  Average: average,
  Maximum: variadic('Max'),
  Minimum: variadic('Min'),
  Concatenate: concatenate,
};
