import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { convertLayersModel } from '../../src/convert/index.js';
import type { ConvertedModel, ConvertOptions } from '../../src/convert/index.js';
import { rng } from '../helpers/rng.js';

/** Artifacts of an in-memory tfjs model, exactly as model.save() would write them. */
export async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new Error('save handler was not called');
  return saved;
}

export { rng };

export function uniform(rand: () => number, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rand();
  return out;
}

/**
 * Random but well-scaled weights: kernels ~ U(+-1/sqrt(fan_in)), biases and
 * BN beta/mean non-trivial, BN gamma/variance in [0.5, 1.5].
 */
export function randomizeWeights(model: tf.LayersModel, seed = 1): void {
  const rand = rng(seed);
  const values = model.weights.map((w) => {
    const shape = w.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const kind = w.name.split('/').pop() ?? '';
    let data: Float32Array;
    if (kind.startsWith('moving_variance') || kind.startsWith('gamma')) data = uniform(rand, n, 0.5, 1.5);
    else if (kind.startsWith('moving_mean') || kind.startsWith('beta') || kind.startsWith('bias')) data = uniform(rand, n, -0.5, 0.5);
    else {
      const fanIn = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
      const a = Math.sqrt(3 / fanIn);
      data = uniform(rand, n, -a, a);
    }
    return tf.tensor(data, shape);
  });
  model.setWeights(values);
  values.forEach((t) => t.dispose());
}

export interface OrtOutput {
  data: Float32Array;
  dims: number[];
}

export async function runOrt(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Record<string, OrtOutput>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor('float32', v.data, v.dims);
    const res = await session.run(ortFeeds);
    const out: Record<string, OrtOutput> = {};
    for (const [k, v] of Object.entries(res)) out[k] = { data: v.data as Float32Array, dims: [...v.dims] };
    return out;
  } finally {
    await session.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN propagates as a failure
  }
  return m;
}

/** Assert closeness; the message carries the max diff so failures say how far off. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, tol = 1e-4): number {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const diff = maxAbsDiff(actual, expected);
  expect(diff, `${label}: max abs diff ${diff} > ${tol}`).toBeLessThanOrEqual(tol);
  return diff;
}

export interface ParityResult {
  converted: ConvertedModel;
  maxDiff: number;
}

/**
 * Convert a tfjs model, run the same random batch through TF.js and ONNX
 * Runtime, and assert every output matches within `tol`.
 */
export async function expectParity(
  model: tf.LayersModel,
  opts: { batch?: number; seed?: number; lo?: number; hi?: number; tol?: number; convert?: ConvertOptions } = {},
): Promise<ParityResult> {
  const { batch = 2, seed = 7, lo = -1, hi = 1, tol = 1e-4 } = opts;
  const converted = convertLayersModel(await artifactsOf(model), opts.convert);
  const rand = rng(seed);
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = {};
  const tfInputs = model.inputs.map((inp, i) => {
    const dims = inp.shape.map((d) => d ?? batch);
    const data = uniform(rand, dims.reduce((a, b) => a * b, 1), lo, hi);
    feeds[converted.inputs[i].name] = { data, dims };
    return tf.tensor(data, dims);
  });
  const predicted = model.predict(tfInputs.length === 1 ? tfInputs[0] : tfInputs);
  const expected = Array.isArray(predicted) ? predicted : [predicted];
  const actual = await runOrt(converted.bytes, feeds);
  let maxDiff = 0;
  for (let i = 0; i < expected.length; i++) {
    const out = actual[converted.outputs[i].name];
    expect(out, `ORT output ${converted.outputs[i].name}`).toBeDefined();
    expect(out.dims, 'output shape').toEqual(expected[i].shape);
    maxDiff = Math.max(maxDiff, expectClose(out.data, expected[i].dataSync(), `output ${converted.outputs[i].name}`, tol));
  }
  tf.dispose([...tfInputs, ...expected]);
  return { converted, maxDiff };
}
