import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { convertLayersModel } from '../../src/convert/index.js';
import { artifactsOf, expectClose, expectParity, randomizeWeights, rng, runOrt, uniform } from './helpers.js';
import { ap, functional, useCpuBackend } from './tfjs-models.js';

useCpuBackend();
const L = tf.layers;

interface LayerJson {
  name?: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes?: unknown[];
}
interface ModelJson {
  class_name: string;
  config: { name: string; layers: LayerJson[]; input_layers?: unknown; output_layers?: unknown };
}

/** Convert `artifacts` and compare with `model` on one random batch. */
async function expectSame(model: tf.LayersModel, artifacts: tf.io.ModelArtifacts, inputShape: number[]): Promise<void> {
  const converted = convertLayersModel(artifacts);
  const x = uniform(rng(3), inputShape.reduce((a, b) => a * b, 1), -1, 1);
  const expected = (model.predict(tf.tensor(x, inputShape)) as tf.Tensor).dataSync();
  const out = await runOrt(converted.bytes, { [converted.inputName]: { data: x, dims: inputShape } });
  expectClose(out[converted.outputName].data, expected, 'output');
}

const smallCnn = () =>
  functional([8, 8, 3], (x) => {
    const c = ap(L.conv2d({ filters: 4, kernelSize: 3, name: 'conv' }), x);
    const b = ap(L.batchNormalization({ name: 'bn' }), c);
    return ap(L.dense({ units: 3, activation: 'softmax', name: 'probs' }), ap(L.flatten({ name: 'flat' }), ap(L.reLU({ name: 'relu' }), b)));
  });

describe('topologies and Keras config variants', () => {
  it('Sequential without an InputLayer (tfjs style, input named <first>_input)', async () => {
    const model = tf.sequential({
      layers: [
        L.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: 3, activation: 'relu', name: 'c1' }),
        L.maxPooling2d({ poolSize: 2 }),
        L.flatten(),
        L.dropout({ rate: 0.3 }),
        L.dense({ units: 4, activation: 'softmax', name: 'out' }),
      ],
    });
    randomizeWeights(model, 91);
    const { converted } = await expectParity(model);
    expect(converted.inputName).toBe('c1_input');
    expect(converted.outputName).toBe('out');
  });

  it('Sequential with an explicit InputLayer using batch_shape (Keras 3 style)', async () => {
    const model = tf.sequential({ layers: [L.dense({ inputShape: [5], units: 3, name: 'd' }), L.activation({ activation: 'tanh' })] });
    randomizeWeights(model, 92);
    const artifacts = await artifactsOf(model);
    const topo = artifacts.modelTopology as ModelJson;
    delete topo.config.layers[0].config.batch_input_shape;
    topo.config.layers.unshift({ class_name: 'InputLayer', config: { name: 'features', batch_shape: [null, 5], dtype: 'float32' } });
    await expectSame(model, artifacts, [3, 5]);
    expect(convertLayersModel(artifacts).inputName).toBe('features');
  });

  it('modelTopology wrapped as {keras_version, backend, model_config} (model.json style)', async () => {
    const model = smallCnn();
    randomizeWeights(model, 93);
    const artifacts = await artifactsOf(model);
    const wrapped = { ...artifacts, modelTopology: { keras_version: '2.2.4-tf', backend: 'tensorflow', model_config: artifacts.modelTopology } };
    await expectSame(model, wrapped, [2, 8, 8, 3]);
    expect(convertLayersModel(wrapped).ir.metadata.keras_version).toBe('2.2.4-tf');
  });

  it('Keras 3 functional format: class Functional, batch_shape, DTypePolicy, dict inbound nodes, prefixed weight names', async () => {
    const model = smallCnn();
    randomizeWeights(model, 94);
    const artifacts = await artifactsOf(model);
    const topo = artifacts.modelTopology as ModelJson;
    topo.class_name = 'Functional';
    for (const layer of topo.config.layers) {
      layer.config.dtype = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } };
      if (layer.class_name === 'InputLayer') {
        layer.config.batch_shape = layer.config.batch_input_shape;
        delete layer.config.batch_input_shape;
      }
      layer.inbound_nodes = (layer.inbound_nodes as [string, number, number][][]).map((node) => ({
        args: node.map(([name, n, t]) => ({ class_name: '__keras_tensor__', config: { shape: [], dtype: 'float32', keras_history: [name, n, t] } })),
        kwargs: {},
      }));
    }
    topo.config.input_layers = (topo.config.input_layers as unknown[])[0]; // Keras 3 writes a single triple for one input
    const renamed = { ...artifacts, weightSpecs: artifacts.weightSpecs!.map((s) => ({ ...s, name: `functional_1/${s.name}:0` })) };
    await expectSame(model, renamed, [2, 8, 8, 3]);
  });

  it('multi-input, multi-output functional model keeps Keras names and order', async () => {
    const a = tf.input({ shape: [6, 6, 3], name: 'image' });
    const b = tf.input({ shape: [4], name: 'meta' });
    const f = ap(L.globalAveragePooling2d({}), ap(L.conv2d({ filters: 4, kernelSize: 3 }), a));
    const joined = ap(L.concatenate({}), [f, ap(L.dense({ units: 2 }), b)]);
    const model = tf.model({
      inputs: [a, b],
      outputs: [ap(L.dense({ units: 3, activation: 'softmax', name: 'cls' }), joined), ap(L.dense({ units: 1, name: 'score' }), joined)],
    });
    randomizeWeights(model, 95);
    const { converted } = await expectParity(model);
    expect(converted.inputs.map((i) => i.name)).toEqual(['image', 'meta']);
    expect(converted.outputs).toEqual([
      { name: 'cls', shape: ['N', 3] },
      { name: 'score', shape: ['N', 1] },
    ]);
  });

  it('two outputs backed by one ONNX tensor (Dropout aliases its input) get their own names', async () => {
    const x = tf.input({ shape: [4], name: 'x' });
    const d = ap(L.dense({ units: 3, name: 'logits' }), x);
    const model = tf.model({ inputs: x, outputs: [d, ap(L.dropout({ rate: 0.5, name: 'dropped' }), d), ap(L.softmax({ axis: -1, name: 'sm' }), d)] });
    randomizeWeights(model, 90);
    const { converted } = await expectParity(model);
    expect(converted.outputs.map((o) => o.name)).toEqual(['logits', 'dropped', 'sm']);
  });

  it('shared layer called twice (two Keras nodes of one layer)', async () => {
    const shared = L.dense({ units: 4, activation: 'relu', name: 'shared' });
    const model = functional([4], (x) => ap(L.add(), [ap(shared, x), ap(shared, ap(L.dense({ units: 4 }), x))]));
    randomizeWeights(model, 96);
    await expectParity(model);
  });

  it('batchDimName and opsetVersion options', async () => {
    const model = smallCnn();
    randomizeWeights(model, 97);
    const { converted } = await expectParity(model, { convert: { batchDimName: 'batch', opsetVersion: 15 } });
    expect(converted.inputShape).toEqual(['batch', 8, 8, 3]);
    expect(converted.ir.opsetVersion).toBe(15);
  });

  it('batch sizes 1..32 run on one model (dynamic batch)', async () => {
    const model = smallCnn();
    randomizeWeights(model, 98);
    for (const batch of [1, 5, 32]) await expectParity(model, { batch, seed: batch });
  });
});

/** float32 -> IEEE half bits (round to nearest even), for building float16-quantized artifacts. */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign | Math.round((mant | 0x800000) / 2 ** (14 - exp));
  if (exp >= 31) return sign | 0x7c00;
  let h = sign | (exp << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++;
  return h;
}

/** Re-encode float32 artifacts with tfjs-converter style weight quantization. */
function quantize(artifacts: tf.io.ModelArtifacts, dtype: 'uint8' | 'uint16' | 'float16'): tf.io.ModelArtifacts {
  const src = new Float32Array(artifacts.weightData as ArrayBuffer);
  const parts: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  let off = 0;
  for (const spec of artifacts.weightSpecs!) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const v = src.subarray(off, off + n);
    off += n;
    if (dtype === 'float16') {
      parts.push(new Uint8Array(Uint16Array.from(v, toHalf).buffer));
      specs.push({ ...spec, quantization: { dtype } });
      continue;
    }
    const min = Math.min(...v);
    const max = Math.max(...v);
    const levels = dtype === 'uint8' ? 255 : 65535;
    const scale = max > min ? (max - min) / levels : 1;
    const q = Array.from(v, (x) => Math.round((x - min) / scale));
    parts.push(new Uint8Array((dtype === 'uint8' ? Uint8Array.from(q) : Uint16Array.from(q)).buffer));
    specs.push({ ...spec, quantization: { dtype, scale, min } });
  }
  const total = parts.reduce((a, p) => a + p.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { ...artifacts, weightSpecs: specs, weightData: data.buffer };
}

describe('quantized weights (tfjs-converter quantization field)', () => {
  for (const dtype of ['uint8', 'uint16', 'float16'] as const) {
    it(`${dtype}: dequantized exactly like tfjs' own loader`, async () => {
      const model = smallCnn();
      randomizeWeights(model, 99);
      const q = quantize(await artifactsOf(model), dtype);
      const reference = await tf.loadLayersModel(tf.io.fromMemory(q)); // tfjs dequantizes on load
      await expectSame(reference, q, [2, 8, 8, 3]);
    });
  }
});
