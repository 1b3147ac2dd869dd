import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  attr,
  checkOnnxModel,
  encodeModel,
  foldBatchNormIntoConv,
  GraphBuilder,
  IR_VERSION,
  removeDeadCode,
  topoSort,
} from '../../src/convert/index.js';
import type { IrModel } from '../../src/convert/index.js';
import { transposeArray } from '../../src/convert/tensor-math.js';
import { expectClose, rng, runOrt, uniform } from './helpers.js';
import { useCpuBackend } from './tfjs-models.js';

useCpuBackend();

const wrap = (b: GraphBuilder): IrModel => ({
  graph: b.graph,
  irVersion: IR_VERSION,
  opsetVersion: 13,
  producerName: 'test',
  producerVersion: '0',
  docString: '',
  metadata: {},
});

/** x[N,2,5,5] -> Conv 3x3 (4 out) -> BatchNormalization -> Relu */
function convBnGraph(): GraphBuilder {
  const rand = rng(1);
  const b = new GraphBuilder('g');
  const x = b.addInput('x', ['N', 2, 5, 5]);
  const w = b.constF32('w', [4, 2, 3, 3], uniform(rand, 72, -1, 1));
  const bias = b.constF32('b', [4], uniform(rand, 4, -1, 1));
  const conv = b.op('Conv', [x, w, bias], ['N', 4, 3, 3], { kernel_shape: attr.ints([3, 3]) });
  const params = ['gamma', 'beta', 'mean', 'var'].map((n) => b.constF32(n, [4], uniform(rand, 4, n === 'var' || n === 'gamma' ? 0.5 : -1, 1.5)));
  const bn = b.op('BatchNormalization', [conv, ...params], ['N', 4, 3, 3], { epsilon: attr.float(0.01) });
  const y = b.op('Relu', [bn], ['N', 4, 3, 3]);
  b.addOutput(y, ['N', 4, 3, 3]);
  return b;
}

describe('IR, builder, passes, encoder', () => {
  it('builder hands out unique names and records shapes', () => {
    const b = new GraphBuilder('g');
    b.addInput('x', ['N', 3]);
    expect(b.uniqueName('x')).toBe('x_1');
    const y = b.op('Relu', ['x'], ['N', 3], {}, 'layer/Relu');
    const z = b.op('Relu', [y], ['N', 3], {}, 'layer/Relu');
    expect([y, z]).toEqual(['layer/Relu', 'layer/Relu_1']);
    expect(b.getShape(z)).toEqual(['N', 3]);
    expect(() => b.reserve('x')).toThrow();
  });

  it('transposeArray matches tf.transpose', () => {
    const data = uniform(rng(2), 2 * 3 * 4 * 5, -1, 1);
    for (const perm of [[3, 2, 0, 1], [2, 3, 0, 1], [0, 2, 3, 1], [1, 0, 3, 2]]) {
      const ours = transposeArray({ dims: [2, 3, 4, 5], data }, perm);
      const ref = tf.transpose(tf.tensor(data, [2, 3, 4, 5]), perm);
      expect(ours.dims).toEqual(ref.shape);
      expect(Array.from(ours.data)).toEqual(Array.from(ref.dataSync()));
    }
  });

  it('a hand-built IR encodes to a model ORT accepts', async () => {
    const b = convBnGraph();
    const bytes = encodeModel(wrap(b));
    expect(await checkOnnxModel(bytes)).toEqual({ inputNames: ['x'], outputNames: [b.graph.outputs[0].name] });
  });

  it('foldBatchNormIntoConv keeps the function (ORT before vs after)', async () => {
    const feeds = { x: { data: uniform(rng(3), 2 * 2 * 25, -2, 2), dims: [2, 2, 5, 5] } };
    const before = convBnGraph();
    const ref = Object.values(await runOrt(encodeModel(wrap(before)), feeds))[0];
    const after = convBnGraph();
    expect(foldBatchNormIntoConv(after.graph)).toBe(1);
    removeDeadCode(after.graph);
    expect(after.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu']);
    expect([...after.graph.initializers.keys()].sort()).toEqual(['b', 'w']);
    const got = Object.values(await runOrt(encodeModel(wrap(after)), feeds))[0];
    expectClose(got.data, ref.data, 'folded conv', 1e-5);
  });

  it('topoSort repairs node order; removeDeadCode drops unused nodes and initializers', () => {
    const b = convBnGraph();
    b.op('Sigmoid', ['x'], ['N', 2, 5, 5]); // dead
    b.constF32('unused', [1], [0]);
    b.graph.nodes.reverse();
    topoSort(b.graph);
    expect(b.graph.nodes.map((n) => n.opType)).toEqual(['Sigmoid', 'Conv', 'BatchNormalization', 'Relu']);
    removeDeadCode(b.graph);
    expect(b.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'BatchNormalization', 'Relu']);
    expect(b.graph.initializers.has('unused')).toBe(false);
  });
});
