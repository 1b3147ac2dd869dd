import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectParity, randomizeWeights } from './helpers.js';
import { ap, functional, useCpuBackend } from './tfjs-models.js';
import type { Sym } from './tfjs-models.js';

useCpuBackend();
const L = tf.layers;

const conv = (filters: number, x: Sym, kernelSize = 3): Sym => ap(L.conv2d({ filters, kernelSize, padding: 'same' }), x);

describe('merge layers parity with TF.js', () => {
  it('Add of two conv branches (ResNet shortcut shape)', async () => {
    const model = functional([6, 6, 3], (x) => ap(L.add(), [conv(4, x), conv(4, x, 1)]));
    randomizeWeights(model, 61);
    await expectParity(model);
  });

  it('Add of three tensors, one still NHWC (the input) - aligned to the first layout', async () => {
    const model = functional([5, 5, 3], (x) => ap(L.add(), [conv(3, x), x, conv(3, x, 1)]));
    randomizeWeights(model, 62);
    await expectParity(model);
  });

  it('Multiply (squeeze-excite style gating with a broadcast [N,1,1,C] gate)', async () => {
    const model = functional([6, 6, 4], (x) => {
      const f = conv(4, x);
      const g = ap(L.reshape({ targetShape: [1, 1, 4] }), ap(L.dense({ units: 4, activation: 'sigmoid' }), ap(L.globalAveragePooling2d({}), f)));
      return ap(L.multiply(), [f, g]);
    });
    randomizeWeights(model, 63);
    await expectParity(model);
  });

  it('Subtract, Average, Maximum, Minimum', async () => {
    const model = functional([5, 5, 2], (x) => {
      const a = conv(3, x);
      const b = conv(3, x, 1);
      return [ap(L.average(), [a, b]), ap(L.maximum(), [a, b]), ap(L.minimum(), [a, b, conv(3, x)])];
    });
    randomizeWeights(model, 64);
    await expectParity(model);
  });

  for (const axis of [-1, 3, 1, 2]) {
    it(`Concatenate axis ${axis} of conv outputs (Keras axis mapped onto NCHW)`, async () => {
      const model = functional([6, 5, 3], (x) => ap(L.concatenate({ axis }), [conv(2, x), conv(4, x, 1)].slice(0, axis === -1 || axis === 3 ? 2 : 1).concat(axis === -1 || axis === 3 ? [] : [conv(2, x, 1)])));
      randomizeWeights(model, 65);
      await expectParity(model);
    });
  }

  it('Concatenate of the NHWC input with a conv output', async () => {
    const model = functional([5, 5, 3], (x) => conv(2, ap(L.concatenate({}), [x, conv(4, x)])));
    randomizeWeights(model, 66);
    await expectParity(model);
  });

  it('Concatenate on rank-2 tensors', async () => {
    const model = functional([6], (x) => ap(L.concatenate({ axis: 1 }), [ap(L.dense({ units: 3 }), x), ap(L.dense({ units: 2 }), x)]));
    randomizeWeights(model, 67);
    await expectParity(model);
  });
});

describe('reshaping layers parity with TF.js', () => {
  it('Flatten after conv keeps Keras (channels-last) order so Dense weights line up', async () => {
    const model = functional([5, 4, 3], (x) => ap(L.dense({ units: 6 }), ap(L.flatten(), conv(4, x))));
    randomizeWeights(model, 71);
    const { converted } = await expectParity(model);
    const ops = converted.ir.graph.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(2); // in to NCHW, back before Flatten
  });

  it('Reshape conv output to [H*W, C] then Dense on a 3-D tensor', async () => {
    const model = functional([4, 4, 3], (x) => ap(L.dense({ units: 2 }), ap(L.reshape({ targetShape: [16, 5] }), conv(5, x))));
    randomizeWeights(model, 73);
    await expectParity(model);
  });

  it('Reshape with -1 back to 4-D and conv again', async () => {
    const model = functional([24], (x) => conv(2, ap(L.reshape({ targetShape: [-1, 4, 3] }), ap(L.dense({ units: 24 }), x))));
    randomizeWeights(model, 74);
    const { converted } = await expectParity(model);
    expect(converted.outputShape).toEqual(['N', 2, 4, 2]);
  });

  for (const padding of [1, [2, 1], [[1, 2], [0, 3]]] as const) {
    it(`ZeroPadding2D ${JSON.stringify(padding)} before a valid conv (fused into Conv pads)`, async () => {
      const model = functional([6, 6, 3], (x) => ap(L.conv2d({ filters: 4, kernelSize: 3 }), ap(L.zeroPadding2d({ padding: padding as number }), x)));
      randomizeWeights(model, 75);
      const { converted } = await expectParity(model);
      expect(converted.passes.fusedPads).toBe(1);
      expect(converted.ir.graph.nodes.map((n) => n.opType)).not.toContain('Pad');
    });
  }

  it('ZeroPadding2D asymmetric as the model output (kept as a Pad node)', async () => {
    const model = functional([4, 5, 2], (x) => ap(L.zeroPadding2d({ padding: [[0, 2], [3, 1]] }), conv(2, x)));
    randomizeWeights(model, 76);
    const { converted } = await expectParity(model);
    expect(converted.outputShape).toEqual(['N', 6, 9, 2]);
  });

  it('ZeroPadding2D -> MaxPooling2D on raw input (may be negative): Pad must stay', async () => {
    const model = functional([6, 6, 2], (x) => ap(L.maxPooling2d({ poolSize: 3, strides: 2 }), ap(L.zeroPadding2d({ padding: 1 }), x)));
    const { converted } = await expectParity(model, { lo: -5, hi: -1 }); // all-negative input: zero pad wins the max at borders
    expect(converted.passes.fusedPads).toBe(0);
    // Rewritten as -inf Pad -> MaxPool -> Max(mask) so ORT's own Pad+MaxPool fusion cannot break it.
    expect(converted.ir.graph.nodes.map((n) => n.opType)).toEqual(['Transpose', 'Pad', 'MaxPool', 'Max', 'Transpose']);
  });

  // expectParity runs ORT with default optimisations, i.e. with ORT's own Pad+MaxPool fusion enabled.
  it('ZeroPadding2D -> MaxPooling2D same on negative data: exact, incl. the -inf same-padding', async () => {
    const model = functional([7, 7, 2], (x) => ap(L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), ap(L.zeroPadding2d({ padding: [[1, 0], [0, 2]] }), x)));
    const { converted } = await expectParity(model, { lo: -5, hi: -1 });
    expect(converted.ir.graph.nodes.map((n) => n.opType)).toEqual(['Transpose', 'Pad', 'MaxPool', 'Max', 'Transpose']);
    expect(converted.ir.graph.nodes.find((n) => n.opType === 'MaxPool')?.attributes.pads).toBeUndefined();
  });

  it('ReLU -> ZeroPadding2D -> MaxPooling2D (ResNet stem): fused, proven non-negative', async () => {
    const model = functional([8, 8, 3], (x) =>
      ap(L.maxPooling2d({ poolSize: 3, strides: 2 }), ap(L.zeroPadding2d({ padding: 1 }), ap(L.activation({ activation: 'relu' }), conv(4, x)))),
    );
    randomizeWeights(model, 77);
    const { converted } = await expectParity(model);
    expect(converted.passes.fusedPads).toBe(1);
  });

  it('ZeroPadding2D -> AveragePooling2D valid: fused with count_include_pad=1', async () => {
    const model = functional([6, 6, 2], (x) => ap(L.averagePooling2d({ poolSize: 3, strides: 1 }), ap(L.zeroPadding2d({ padding: [[1, 2], [2, 0]] }), conv(2, x))));
    randomizeWeights(model, 78);
    const { converted } = await expectParity(model);
    expect(converted.passes.fusedPads).toBe(1);
  });

  it('ZeroPadding2D -> AveragePooling2D same: not fusable (mixed pad semantics)', async () => {
    const model = functional([6, 6, 2], (x) => ap(L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), ap(L.zeroPadding2d({ padding: 1 }), conv(2, x))));
    randomizeWeights(model, 79);
    const { converted } = await expectParity(model);
    expect(converted.passes.fusedPads).toBe(0);
  });

  it('Cropping2D asymmetric', async () => {
    const model = functional([7, 8, 2], (x) => ap(L.cropping2D({ cropping: [[1, 2], [3, 0]] }), conv(3, x)));
    randomizeWeights(model, 80);
    await expectParity(model);
  });

  it('UpSampling2D nearest [2,3]', async () => {
    const model = functional([3, 4, 2], (x) => ap(L.upSampling2d({ size: [2, 3] }), conv(2, x)));
    randomizeWeights(model, 81);
    await expectParity(model);
  });

  it('Permute [2,1,3] then Flatten', async () => {
    const model = functional([3, 4, 2], (x) => ap(L.dense({ units: 3 }), ap(L.flatten(), ap(L.permute({ dims: [2, 1, 3] }), conv(2, x)))));
    randomizeWeights(model, 82);
    await expectParity(model);
  });

  it('Dropout is an identity', async () => {
    const model = functional([6], (x) => ap(L.dense({ units: 3 }), ap(L.dropout({ rate: 0.5 }), ap(L.dense({ units: 5 }), x))));
    randomizeWeights(model, 83);
    await expectParity(model);
  });
});
