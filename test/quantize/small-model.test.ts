/**
 * A small residual block (conv-BN-relu-conv-BN + 1x1 conv-BN shortcut, add, relu, pool, dense)
 * through the whole quantizer: its int8 output stays close to fp32, and ONNX Runtime's optimised
 * graph really runs QLinearConv / QLinearAdd / QGemm, with no fp32 Conv left.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnnxGraph, encodeModel } from '../../src/convert/index.js';
import type { LayersModelArtifacts } from '../../src/convert/index.js';
import { batchNormStatistics, dataFreeRanges } from '../../src/quantize/calibrate-bn.js';
import { observedRanges } from '../../src/quantize/calibrate-images.js';
import { optimizedOpCounts } from '../../src/quantize/inspect.js';
import type { InputBatch } from '../../src/quantize/observe.js';
import { insertQdq } from '../../src/quantize/qdq.js';
import { selectQuantization, type LayerPolicy } from '../../src/quantize/select.js';
import { artifactsOf, maxAbsDiff, randomizeWeights, rng, uniform } from '../convert/helpers.js';
import { ap, functional, useCpuBackend } from '../convert/tfjs-models.js';

useCpuBackend();
const L = tf.layers;
const SHAPE = [12, 12, 3];
const ALL_INT8: LayerPolicy = { firstConv: 'int8', classifier: 'int8' };

function residualBlock(): tf.LayersModel {
  return functional(SHAPE, (x) => {
    const convBn = (t: tf.SymbolicTensor, filters: number, k: number): tf.SymbolicTensor =>
      ap(L.batchNormalization({}), ap(L.conv2d({ filters, kernelSize: k, padding: 'same' }), t));
    const a = ap(L.activation({ activation: 'relu' }), convBn(x, 8, 3));
    const b = convBn(a, 8, 3);
    const y = ap(L.activation({ activation: 'relu' }), ap(L.add(), [b, convBn(x, 8, 1)]));
    return ap(L.dense({ units: 5 }), ap(L.globalAveragePooling2d({}), y));
  });
}

function batch(seed: number, n: number): InputBatch {
  return { data: uniform(rng(seed), n * 12 * 12 * 3, -1, 1), dims: [n, ...SHAPE] };
}

async function run(bytes: Uint8Array, input: InputBatch): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  try {
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input.data, [...input.dims]) });
    return out[session.outputNames[0]].data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('quantizing a small residual block', () => {
  let artifacts: LayersModelArtifacts;
  let fp32: Uint8Array;
  const test = batch(99, 16);

  beforeAll(async () => {
    const model = residualBlock();
    randomizeWeights(model, 5);
    artifacts = await artifactsOf(model);
    fp32 = encodeModel(buildOnnxGraph(artifacts));
  });

  it('image-style calibration: int8 logits within 5% of the fp32 logit scale', async () => {
    const ir = buildOnnxGraph(artifacts);
    const sel = selectQuantization(ir.graph, ALL_INT8);
    const calibration = async function* (): AsyncIterable<InputBatch> {
      for (let s = 1; s <= 4; s++) yield batch(s, 8);
    };
    const ranges = await observedRanges(ir, sel.calibrate, calibration, { method: 'minmax', percentile: 100, bins: 2048 });
    const report = insertQdq(ir, sel, ranges);
    expect(report.quantizedNodes).toMatchObject({ Conv: 3, Add: 1, Gemm: 1, GlobalAveragePool: 1 });
    expect(report.foldedRelus).toBe(2);
    const int8 = encodeModel(ir);

    const [want, got] = [await run(fp32, test), await run(int8, test)];
    const scale = Math.max(...Array.from(want, Math.abs));
    const diff = maxAbsDiff(got, want);
    console.log(`[small block] max |logit| ${scale.toFixed(3)}, int8 max abs diff ${diff.toFixed(4)} (${((100 * diff) / scale).toFixed(2)}%)`);
    expect(diff / scale).toBeLessThan(0.05);

    const ops = await optimizedOpCounts(int8);
    console.log(`[small block] ORT optimised graph: ${JSON.stringify(ops)}`);
    expect(ops).toMatchObject({ QLinearConv: 3, QLinearAdd: 1, QGemm: 1 });
    expect(ops.Conv ?? 0).toBe(0);
    expect(ops.FusedConv ?? 0).toBe(0);
    expect(ops.Relu ?? 0).toBe(0);
  });

  it('data-free calibration and an fp32 first conv still give a fused, runnable model', async () => {
    const ir = buildOnnxGraph(artifacts);
    const sel = selectQuantization(ir.graph, { firstConv: 'fp32', classifier: 'fp32' });
    const ranges = dataFreeRanges(ir.graph, batchNormStatistics(artifacts), sel.calibrate, { k: 7, inputRange: { min: -1, max: 1 } });
    insertQdq(ir, sel, ranges);
    const int8 = encodeModel(ir);
    const ops = await optimizedOpCounts(int8);
    // The two convs fed by the input stay fp32; the one after the Relu and the Add are quantized.
    expect(ops).toMatchObject({ QLinearConv: 1, QLinearAdd: 1 });
    expect(ops.QGemm ?? 0).toBe(0);
    const out = await run(int8, test);
    expect(out.every(Number.isFinite)).toBe(true);
  });
});
