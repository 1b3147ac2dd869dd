/**
 * Histogram-based range choices (as in ORT's calibrate.py and TensorRT's entropy calibration):
 * cut the rare tails that would otherwise stretch the 256 uint8 levels over a mostly empty range.
 */
import type { Range } from './ranges.js';

export class Histogram {
  readonly counts: Float64Array;
  readonly width: number;

  /** `bins` equal bins over [lo, hi]; values outside land in the end bins. */
  constructor(
    readonly lo: number,
    readonly hi: number,
    bins: number,
  ) {
    this.counts = new Float64Array(bins);
    this.width = hi > lo ? (hi - lo) / bins : 1;
  }

  add(values: ArrayLike<number>): void {
    const { counts, lo, width } = this;
    const last = counts.length - 1;
    const inv = 1 / width;
    for (let i = 0; i < values.length; i++) {
      const b = Math.floor((values[i] - lo) * inv);
      counts[b < 0 ? 0 : b > last ? last : b]++;
    }
  }

  edge(i: number): number {
    return this.lo + i * this.width;
  }

  total(): number {
    let t = 0;
    for (const c of this.counts) t += c;
    return t;
  }
}

/** Bins over the observed range widened to include 0 (what uint8 parameters cover anyway). */
export function histogramFor(observed: Range, bins: number): Histogram {
  return new Histogram(Math.min(observed.min, 0), Math.max(observed.max, 0), bins);
}

const clip = (r: Range, observed: Range): Range => ({ min: Math.max(r.min, observed.min), max: Math.min(r.max, observed.max) });

/** Keeps `percentile` % of the values: (100 - percentile) / 2 % is cut from each tail. */
export function percentileRange(h: Histogram, observed: Range, percentile: number): Range {
  if (!(percentile > 0 && percentile <= 100)) throw new RangeError(`percentile ${percentile} is not in (0, 100]`);
  const total = h.total();
  const cut = ((100 - percentile) / 200) * total;
  let acc = 0;
  let lower = 0;
  while (lower < h.counts.length - 1 && acc + h.counts[lower] <= cut) acc += h.counts[lower++];
  acc = 0;
  let upper = h.counts.length - 1;
  while (upper > 0 && acc + h.counts[upper] <= cut) acc += h.counts[upper--];
  return clip({ min: h.edge(lower), max: h.edge(upper + 1) }, observed);
}

/** ORT's smooth_distribution: move a little mass to empty bins so that KL stays finite. */
function smooth(p: Float64Array, eps = 1e-4): Float64Array | undefined {
  let zeros = 0;
  for (const v of p) if (v === 0) zeros++;
  const nonZeros = p.length - zeros;
  if (nonZeros === 0) return undefined;
  const take = (eps * zeros) / nonZeros;
  return p.map((v) => (v === 0 ? eps : v - take));
}

function klDivergence(p: Float64Array, q: Float64Array): number {
  let ps = 0;
  let qs = 0;
  for (let i = 0; i < p.length; i++) {
    ps += p[i];
    qs += q[i];
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] / ps;
    if (pi > 0) kl += pi * Math.log(pi / (q[i] / qs));
  }
  return kl;
}

/**
 * TensorRT-style minimum-KL threshold: among windows [zero - i, zero + i] (in bins, clipped to the
 * histogram), pick the one whose `levels`-level quantization (outliers clamped into the end bins)
 * loses the least information. `levels` = 256 models uint8 over the window.
 */
export function entropyRange(h: Histogram, observed: Range, levels = 256): Range {
  const counts = h.counts;
  const bins = counts.length;
  const zero = Math.min(bins, Math.max(0, Math.round(-h.lo / h.width)));
  const zeroBin = Math.min(bins - 1, Math.floor(-h.lo / h.width));
  const reach = Math.max(zero, bins - zero);
  let best = Infinity;
  let bestWindow: [number, number] = [0, bins];
  for (let i = 1; i <= reach; i++) {
    const s = Math.max(0, zero - i);
    const e = Math.min(bins, zero + i);
    const n = e - s;
    if (n < levels && i < reach) continue;
    const p = counts.slice(s, e);
    for (let j = 0; j < s; j++) p[0] += counts[j];
    for (let j = e; j < bins; j++) p[n - 1] += counts[j];
    // Quantize the window (without outliers) into `levels` groups, spread each group's mass evenly
    // over its non-empty bins. The bin holding 0 is kept as is: 0 is exact in uint8 (the zero
    // point), and smearing the Relu spike at 0 would make every wide window look lossy.
    const q = new Float64Array(n);
    const z = zeroBin - s;
    if (z >= 0 && z < n) q[z] = counts[zeroBin];
    const groups = Math.min(levels, n);
    for (let g = 0; g < groups; g++) {
      const a = Math.floor((g * n) / groups);
      const b = Math.floor(((g + 1) * n) / groups);
      let mass = 0;
      let nonEmpty = 0;
      for (let j = a; j < b; j++) {
        if (j === z) continue;
        mass += counts[s + j];
        if (p[j] !== 0) nonEmpty++;
      }
      if (nonEmpty > 0) for (let j = a; j < b; j++) if (p[j] !== 0 && j !== z) q[j] = mass / nonEmpty;
    }
    const ps = smooth(p);
    const qs = smooth(q);
    if (!ps || !qs) continue;
    const kl = klDivergence(ps, qs);
    if (kl < best) {
      best = kl;
      bestWindow = [s, e];
    }
  }
  return clip({ min: h.edge(bestWindow[0]), max: h.edge(bestWindow[1]) }, observed);
}
