/**
 * Data-free calibration: activation ranges from the BatchNormalization statistics the network
 * learned, no images needed (Docker builds, fresh clones).
 *
 * On the training distribution a BN output channel c has mean beta[c] and standard deviation
 * |gamma[c]| * sqrt(var[c] / (var[c] + eps)), and is roughly Gaussian. Those per-channel Gaussians
 * are propagated through the folded graph:
 *   Relu  -> moments of the rectified Gaussian;  Add -> means and variances add (independence);
 *   pooling / layout ops -> unchanged (conservative for averaging).
 * A tensor's range is [min_c(mean - k*std), max_c(mean + k*std)]; a Relu output's range is
 * [0, max_c(mean + k*std)] of the Relu input. The graph input's range comes from preprocessing.
 */
import { buildOnnxGraph, producerMap, provablyNonNegative } from '../convert/index.js';
import type { IrGraph, LayersModelArtifacts } from '../convert/index.js';
import type { Range, RangeMap } from './ranges.js';

export interface ChannelGaussians {
  mean: Float64Array;
  std: Float64Array;
}

export interface DataFreeOptions {
  /** Standard deviations above (below) the channel mean that the range covers. */
  k: number;
  /** Range of the graph input (exact from the preprocessing's normalisation). */
  inputRange: Range;
}

/** BN output tensor name (= folded Conv output name) -> per-channel Gaussian of that output. */
export function batchNormStatistics(artifacts: LayersModelArtifacts): Map<string, ChannelGaussians> {
  const unfolded = buildOnnxGraph(artifacts, { foldBatchNorm: false }).graph;
  const out = new Map<string, ChannelGaussians>();
  for (const n of unfolded.nodes) {
    if (n.opType !== 'BatchNormalization') continue;
    const [gamma, beta, , variance] = n.inputs.slice(1, 5).map((name) => unfolded.initializers.get(name)?.data);
    if (!gamma || !beta || !variance) continue;
    const eps = n.attributes.epsilon?.type === 'float' ? n.attributes.epsilon.value : 1e-5;
    const mean = Float64Array.from(beta as Float32Array);
    const std = Float64Array.from(gamma as Float32Array, (g, c) => Math.abs(g) * Math.sqrt(Number(variance[c]) / (Number(variance[c]) + eps)));
    out.set(n.outputs[0], { mean, std });
  }
  return out;
}

/** Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): JavaScript has no Math.erf. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

const pdf = (a: number): number => Math.exp(-0.5 * a * a) / Math.sqrt(2 * Math.PI);
const cdf = (a: number): number => 0.5 * (1 + erf(a / Math.SQRT2));

/** Mean and std of max(X, 0) for X ~ N(m, s^2), per channel. */
export function rectified(g: ChannelGaussians): ChannelGaussians {
  const mean = new Float64Array(g.mean.length);
  const std = new Float64Array(g.mean.length);
  for (let c = 0; c < mean.length; c++) {
    const m = g.mean[c];
    const s = g.std[c];
    if (s <= 0) {
      mean[c] = Math.max(m, 0);
      continue;
    }
    const a = m / s;
    const e1 = m * cdf(a) + s * pdf(a);
    const e2 = (m * m + s * s) * cdf(a) + m * s * pdf(a);
    mean[c] = e1;
    std[c] = Math.sqrt(Math.max(e2 - e1 * e1, 0));
  }
  return { mean, std };
}

function sum(a: ChannelGaussians, b: ChannelGaussians): ChannelGaussians | undefined {
  if (a.mean.length !== b.mean.length) return undefined;
  return { mean: a.mean.map((m, c) => m + b.mean[c]), std: a.std.map((s, c) => Math.hypot(s, b.std[c])) };
}

function spread(g: ChannelGaussians, k: number): Range {
  let min = Infinity;
  let max = -Infinity;
  for (let c = 0; c < g.mean.length; c++) {
    min = Math.min(min, g.mean[c] - k * g.std[c]);
    max = Math.max(max, g.mean[c] + k * g.std[c]);
  }
  return { min, max };
}

const UNCHANGED = new Set(['MaxPool', 'AveragePool', 'GlobalAveragePool', 'Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);

/** Ranges of `tensors` in the folded fp32 graph, from BN statistics. Throws when one cannot be estimated. */
export function dataFreeRanges(graph: IrGraph, stats: Map<string, ChannelGaussians>, tensors: readonly string[], opts: DataFreeOptions): RangeMap {
  const dist = new Map<string, ChannelGaussians>();
  const reluInput = new Map<string, string>();
  for (const n of graph.nodes) {
    const out = n.outputs[0];
    const input = dist.get(n.inputs[0]);
    if (stats.has(out)) dist.set(out, stats.get(out) as ChannelGaussians);
    else if (n.opType === 'Relu' && input) {
      dist.set(out, rectified(input));
      reluInput.set(out, n.inputs[0]);
    } else if (n.opType === 'Add' && input) {
      const other = dist.get(n.inputs[1]);
      const s = other && sum(input, other);
      if (s) dist.set(out, s);
    } else if (UNCHANGED.has(n.opType) && input) dist.set(out, input);
  }

  const producers = producerMap(graph);
  const ranges: RangeMap = new Map();
  for (const t of tensors) {
    if (graph.inputs.some((i) => i.name === t)) {
      ranges.set(t, { ...opts.inputRange });
      continue;
    }
    const pre = reluInput.get(t);
    const g = pre ? dist.get(pre) : dist.get(t);
    if (!g) {
      throw new Error(`data-free calibration cannot estimate the range of "${t}": no BatchNormalization statistics reach it; calibrate with images instead`);
    }
    const r = spread(g, opts.k);
    // After a Relu (or anything provably >= 0) the lower side is 0; the upper side is the Relu input's.
    if (pre || provablyNonNegative(graph, t, producers)) ranges.set(t, { min: 0, max: Math.max(r.max, 0) });
    else ranges.set(t, r);
  }
  return ranges;
}
