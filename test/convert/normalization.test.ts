import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectParity, randomizeWeights } from './helpers.js';
import { ap, functional, useCpuBackend } from './tfjs-models.js';

useCpuBackend();
const L = tf.layers;

const convBn = (bn: tf.layers.Layer) => functional([7, 7, 3], (x) => ap(bn, ap(L.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), x)));

describe('BatchNormalization parity with TF.js (random non-trivial moving stats)', () => {
  it('after Conv2D (axis -1): folded into the Conv', async () => {
    const model = convBn(L.batchNormalization({}));
    randomizeWeights(model, 31);
    const { converted } = await expectParity(model);
    expect(converted.passes.foldedBatchNorms).toBe(1);
    expect(converted.ir.graph.nodes.map((n) => n.opType)).not.toContain('BatchNormalization');
  });

  it('axis 3, epsilon 0.1', async () => {
    const model = convBn(L.batchNormalization({ axis: 3, epsilon: 0.1 }));
    randomizeWeights(model, 32);
    await expectParity(model);
  });

  it('center=false (no beta)', async () => {
    const model = convBn(L.batchNormalization({ center: false }));
    randomizeWeights(model, 33);
    await expectParity(model);
  });

  it('scale=false (no gamma)', async () => {
    const model = convBn(L.batchNormalization({ scale: false }));
    randomizeWeights(model, 34);
    await expectParity(model);
  });

  it('center=false and scale=false', async () => {
    const model = convBn(L.batchNormalization({ center: false, scale: false, epsilon: 0.01 }));
    randomizeWeights(model, 35);
    await expectParity(model);
  });

  it('Conv without bias + BN (fold creates the bias)', async () => {
    const model = functional([6, 6, 2], (x) => ap(L.batchNormalization({}), ap(L.conv2d({ filters: 3, kernelSize: 3, useBias: false }), x)));
    randomizeWeights(model, 36);
    const { converted } = await expectParity(model);
    expect(converted.passes.foldedBatchNorms).toBe(1);
  });

  it('not folded when the Conv output is also used elsewhere', async () => {
    const model = functional([6, 6, 2], (x) => {
      const c = ap(L.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }), x);
      return ap(L.add(), [ap(L.batchNormalization({}), c), c]);
    });
    randomizeWeights(model, 37);
    const { converted } = await expectParity(model);
    expect(converted.passes.foldedBatchNorms).toBe(0);
    expect(converted.ir.graph.nodes.map((n) => n.opType)).toContain('BatchNormalization');
  });

  it('not folded when fused Conv activation sits between (Conv relu -> BN)', async () => {
    const reluModel = functional([7, 7, 3], (x) => ap(L.batchNormalization({}), ap(L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }), x)));
    randomizeWeights(reluModel, 38);
    const { converted } = await expectParity(reluModel);
    expect(converted.passes.foldedBatchNorms).toBe(0);
  });

  it('on the NHWC input (channels-last Mul/Add path, no transpose)', async () => {
    const model = functional([5, 5, 3], (x) => ap(L.batchNormalization({}), x));
    randomizeWeights(model, 39);
    const { converted } = await expectParity(model);
    expect(converted.ir.graph.nodes.map((n) => n.opType)).toEqual(['Mul', 'Add']);
  });

  it('after Dense (rank 2)', async () => {
    const model = functional([6], (x) => ap(L.batchNormalization({}), ap(L.dense({ units: 5 }), x)));
    randomizeWeights(model, 40);
    await expectParity(model);
  });

  it('disabled folding still matches (ONNX BatchNormalization op)', async () => {
    const model = convBn(L.batchNormalization({ epsilon: 0.05 }));
    randomizeWeights(model, 41);
    const { converted } = await expectParity(model, { convert: { foldBatchNorm: false } });
    expect(converted.ir.graph.nodes.map((n) => n.opType)).toContain('BatchNormalization');
  });
});
