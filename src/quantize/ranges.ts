/** Activation ranges: what every calibration method produces and what QDQ insertion consumes. */

export interface Range {
  min: number;
  max: number;
}

/** Tensor name -> observed or estimated real-value range. */
export type RangeMap = Map<string, Range>;

/** The smallest range holding both. */
export function union(a: Range | undefined, b: Range): Range {
  return a ? { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) } : { ...b };
}

/** Range of a tensor's values, ignoring NaN. */
export function rangeOf(values: ArrayLike<number>): Range {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** Every range calibration must deliver, or a clear error naming the first missing tensor. */
export function requireRanges(ranges: RangeMap, tensors: Iterable<string>, source: string): void {
  for (const t of tensors) {
    const r = ranges.get(t);
    if (!r || !Number.isFinite(r.min) || !Number.isFinite(r.max)) throw new Error(`${source}: no finite range for tensor "${t}"`);
  }
}
