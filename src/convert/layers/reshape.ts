import { attr } from '../ir/types.js';
import type { Dim } from '../ir/types.js';
import type { JsonValue } from '../keras/types.js';
import { channelsFirstPerm, identityPerm } from '../layout.js';
import { product } from '../tensor-math.js';
import { pair, requireChannelsLast, str } from './config.js';
import type { KTensor, LayerContext, LayerHandler } from './types.js';

/** Product of static dims, or null if any is unknown. */
function staticProduct(dims: Dim[]): number | null {
  return dims.every((d): d is number => typeof d === 'number') ? product(dims) : null;
}

/** Flatten in Keras (channels-last) element order, so Dense weights line up. */
const flatten: LayerHandler = (ctx) => {
  const x = ctx.kerasLayout(ctx.input());
  if (x.shape.length === 2) return x;
  return ctx.op('Flatten', [x.name], [x.shape[0], staticProduct(x.shape.slice(1))], identityPerm(2), { axis: attr.int(1) });
};

const reshape: LayerHandler = (ctx) => {
  const x = ctx.kerasLayout(ctx.input());
  const raw = ctx.config.target_shape;
  if (!Array.isArray(raw) || !raw.every((d) => typeof d === 'number' || d === null)) return ctx.fail('target_shape must be a list of ints');
  const target = raw.map((d) => (typeof d === 'number' ? d : -1)); // tfjs writes Keras' -1 as null
  const known = staticProduct(x.shape.slice(1));
  const free = target.indexOf(-1);
  const shape: Dim[] = [x.shape[0], ...target];
  if (free >= 0) shape[free + 1] = known === null ? null : known / product(target.filter((d) => d !== -1));
  // 0 copies the (dynamic) batch dim; Keras' own -1 stays as is.
  return ctx.op('Reshape', [x.name, ctx.constI64('shape', [0, ...target])], shape, identityPerm(shape.length));
};

/** Keras 2-D padding/cropping spec: int, [sym_h, sym_w] or [[top, bottom], [left, right]]. */
function edges2d(ctx: LayerContext, key: string): { top: number; bottom: number; left: number; right: number } {
  const v: JsonValue | undefined = ctx.config[key];
  if (Array.isArray(v) && v.length === 2 && Array.isArray(v[0]) && Array.isArray(v[1])) {
    const [[top, bottom], [left, right]] = [v[0], v[1]];
    if ([top, bottom, left, right].every((n) => typeof n === 'number')) {
      return { top: top as number, bottom: bottom as number, left: left as number, right: right as number };
    }
  }
  const [h, w] = pair(ctx, key, [1, 1]);
  return { top: h, bottom: h, left: w, right: w };
}

function input4d(ctx: LayerContext): KTensor {
  requireChannelsLast(ctx);
  const x = ctx.input();
  if (x.shape.length !== 4) ctx.fail(`expects a 4-D input, got shape [${x.shape}]`);
  return x;
}

const add = (d: Dim, n: number): Dim => (typeof d === 'number' ? d + n : null);

/** Zero Pad on the channels-first tensor (the fuse pass may merge it into the next Conv). */
const zeroPadding2d: LayerHandler = (ctx) => {
  const x = input4d(ctx);
  const { top, bottom, left, right } = edges2d(ctx, 'padding');
  const pads = ctx.constI64('pads', [0, 0, top, left, 0, 0, bottom, right]);
  const shape = [x.shape[0], add(x.shape[1], top + bottom), add(x.shape[2], left + right), x.shape[3]];
  return ctx.op('Pad', [ctx.channelsFirst(x).name, pads], shape, channelsFirstPerm(4), { mode: attr.string('constant') });
};

const cropping2d: LayerHandler = (ctx) => {
  const x = input4d(ctx);
  const { top, bottom, left, right } = edges2d(ctx, 'cropping');
  const end = (n: number): number => (n > 0 ? -n : Number.MAX_SAFE_INTEGER);
  const inputs = [ctx.channelsFirst(x).name, ctx.constI64('starts', [top, left]), ctx.constI64('ends', [end(bottom), end(right)])];
  inputs.push(ctx.constI64('axes', [2, 3]));
  const shape = [x.shape[0], add(x.shape[1], -top - bottom), add(x.shape[2], -left - right), x.shape[3]];
  return ctx.op('Slice', inputs, shape, channelsFirstPerm(4));
};

/** Nearest-neighbour upsampling by integer factors (TF: floor of asymmetric coordinates). */
const upSampling2d: LayerHandler = (ctx) => {
  const x = input4d(ctx);
  const [sh, sw] = pair(ctx, 'size', [2, 2]);
  const interpolation = str(ctx, 'interpolation', 'nearest');
  if (interpolation !== 'nearest') ctx.fail(`interpolation "${interpolation}" is not supported (only nearest)`);
  const scales = ctx.constant('scales', [4], [1, 1, sh, sw]);
  const mul = (d: Dim, n: number): Dim => (typeof d === 'number' ? d * n : null);
  const shape = [x.shape[0], mul(x.shape[1], sh), mul(x.shape[2], sw), x.shape[3]];
  return ctx.op('Resize', [ctx.channelsFirst(x).name, '', scales], shape, channelsFirstPerm(4), {
    mode: attr.string('nearest'),
    coordinate_transformation_mode: attr.string('asymmetric'),
    nearest_mode: attr.string('floor'),
  });
};

/** Permute needs no node: relabel which Keras axis each stored axis holds. */
const permute: LayerHandler = (ctx) => {
  const x = ctx.input();
  const dims = ctx.config.dims;
  const rank = x.shape.length;
  if (!Array.isArray(dims) || dims.length !== rank - 1 || !dims.every((d) => typeof d === 'number' && d >= 1 && d < rank)) {
    return ctx.fail(`dims ${JSON.stringify(dims)} is not a permutation of 1..${rank - 1}`);
  }
  const outPerm = [0, ...(dims as number[])]; // output Keras axis j = input Keras axis outPerm[j]
  return { name: x.name, shape: outPerm.map((a) => x.shape[a]), perm: x.perm.map((a) => outPerm.indexOf(a)) };
};

export const reshapeHandlers: Record<string, LayerHandler> = {
  Flatten: flatten,
  Reshape: reshape,
  ZeroPadding2D: zeroPadding2d,
  Cropping2D: cropping2d,
  UpSampling2D: upSampling2d,
  Permute: permute,
};
