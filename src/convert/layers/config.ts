import type { Dim } from '../ir/types.js';
import type { JsonValue } from '../keras/types.js';
import type { LayerContext } from './types.js';

/** Typed readers for Keras layer config values; failures name the layer. */

export function num(ctx: LayerContext, key: string, def?: number): number {
  const v = ctx.config[key];
  if (typeof v === 'number') return v;
  if ((v === undefined || v === null) && def !== undefined) return def;
  return ctx.fail(`config "${key}" must be a number, got ${JSON.stringify(v)}`);
}

export function optNum(ctx: LayerContext, key: string): number | undefined {
  const v = ctx.config[key];
  if (v === undefined || v === null) return undefined;
  return num(ctx, key);
}

export function str(ctx: LayerContext, key: string, def?: string): string {
  const v = ctx.config[key];
  if (typeof v === 'string') return v;
  if ((v === undefined || v === null) && def !== undefined) return def;
  return ctx.fail(`config "${key}" must be a string, got ${JSON.stringify(v)}`);
}

export function bool(ctx: LayerContext, key: string, def: boolean): boolean {
  const v = ctx.config[key];
  if (typeof v === 'boolean') return v;
  if (v === undefined || v === null) return def;
  return ctx.fail(`config "${key}" must be a boolean, got ${JSON.stringify(v)}`);
}

/** An int or [a, b] (Keras "int or tuple of 2 ints"). */
export function pair(ctx: LayerContext, key: string, def?: [number, number]): [number, number] {
  const v: JsonValue | undefined = ctx.config[key];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') return [v[0], v[1]];
  if ((v === undefined || v === null) && def) return def;
  return ctx.fail(`config "${key}" must be an int or a pair of ints, got ${JSON.stringify(v)}`);
}

/** Only channels_last is supported: Keras/TF CPU models use it. */
export function requireChannelsLast(ctx: LayerContext): void {
  const f = str(ctx, 'data_format', 'channels_last');
  if (f !== 'channels_last') ctx.fail(`data_format "${f}" is not supported (only channels_last)`);
}

/** A list of numbers/nulls, e.g. a batch shape. */
export function shapeList(ctx: LayerContext, key: string): Dim[] | undefined {
  const v = ctx.config[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v) && v.every((d) => d === null || typeof d === 'number')) return v as (number | null)[];
  return ctx.fail(`config "${key}" must be a list of dimensions, got ${JSON.stringify(v)}`);
}

/** Axis given as an int or a one-element list (Keras BN serialises `axis: [3]`). */
export function singleAxis(ctx: LayerContext, key: string, def: number): number {
  const v = ctx.config[key];
  if (v === undefined || v === null) return def;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return v[0];
  return ctx.fail(`config "${key}" must be a single axis, got ${JSON.stringify(v)}`);
}
