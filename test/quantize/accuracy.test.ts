/**
 * int8 must not cost accuracy. On test/fixtures/images/imagenet-sample (100) and smoke (6), with the
 * serving preprocessing and ONNX Runtime sessions run directly (batches of 8), against the fp32
 * model: top-1 agreement >= 97 %, top-1 and top-5 accuracy down by at most 1 point.
 *  - data-free (the default calibration): no image involved.
 *  - image calibration (default method), 2-fold: calibrated on the even-numbered 50 of the 100 and
 *    evaluated on the odd 50, and vice versa, so each of the 100 is scored by a model that never saw
 *    it; the 6 smoke images (in neither calibration set) are scored by the first fold's model.
 * Also proves that ORT's optimised ResNet50 graph runs quantized kernels, not fp32 Conv.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configWith } from '../../src/config/config.js';
import type { LayersModelArtifacts } from '../../src/convert/index.js';
import { OnnxEngine } from '../../src/engines/onnx-engine.js';
import { readLayersModel } from '../../src/model/artifacts.js';
import { readDescriptor } from '../../src/model/descriptor.js';
import { ensureOnnxModel } from '../../src/pipeline/onnx-cache.js';
import { ensureSource } from '../../src/pipeline/prepare.js';
import { ImagePreprocessor, preprocessorOptions, type PreprocessorOptions } from '../../src/preprocess/preprocessor.js';
import { optimizedOpCounts } from '../../src/quantize/inspect.js';
import { dataFreePlan, DEFAULT_LAYERS, imagePlan } from '../../src/quantize/plan.js';
import { DEFAULT_IMAGE_METHOD, type QuantizationPlan } from '../../src/quantize/quantization-plan.js';
import { quantizedModelBytes } from '../../src/quantize/quantize-model.js';
import { imagenetSample, SMOKE, SMOKE_LABELS } from '../helpers/paths.js';

const ROW = 224 * 224 * 3;
const CLASSES = 1000;

interface Item {
  file: string;
  truth: number;
}

/** Class probabilities per image, in item order. */
type Predictions = Float32Array[];

async function predict(modelPath: string, rows: Float32Array, indices: number[]): Promise<Map<number, Float32Array>> {
  const engine = await OnnxEngine.load(modelPath, 2, 'test');
  const out = new Map<number, Float32Array>();
  try {
    for (let i = 0; i < indices.length; i += 8) {
      const chunk = indices.slice(i, i + 8);
      const data = new Float32Array(chunk.length * ROW);
      chunk.forEach((k, j) => data.set(rows.subarray(k * ROW, (k + 1) * ROW), j * ROW));
      const res = await engine.run({ data, dims: [chunk.length, 224, 224, 3] });
      chunk.forEach((k, j) => out.set(k, res.data.slice(j * CLASSES, (j + 1) * CLASSES)));
    }
  } finally {
    await engine.dispose();
  }
  return out;
}

const topK = (p: Float32Array, k: number): number[] => [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, k);

interface Figures {
  top1: number;
  top5: number;
  agreement: number;
}

function figures(items: Item[], preds: Predictions, reference: Predictions, from: number, to: number): Figures {
  let top1 = 0;
  let top5 = 0;
  let agree = 0;
  for (let i = from; i < to; i++) {
    const best = topK(preds[i], 5);
    if (best[0] === items[i].truth) top1++;
    if (best.includes(items[i].truth)) top5++;
    if (best[0] === topK(reference[i], 1)[0]) agree++;
  }
  const n = to - from;
  return { top1: top1 / n, top5: top5 / n, agreement: agree / n };
}

const fmt = (f: Figures): string => `top-1 ${f.top1.toFixed(2)}, top-5 ${f.top5.toFixed(2)}, top-1 agreement ${(100 * f.agreement).toFixed(0)}%`;

describe('int8 ResNet50 accuracy against fp32', () => {
  let artifacts: LayersModelArtifacts;
  let preprocessing: PreprocessorOptions;
  let items: Item[];
  let rows: Float32Array;
  let fp32Path: string;
  let fp32: Predictions;
  let tmp: string;

  beforeAll(async () => {
    const config = configWith({ logLevel: 'silent', modelFetch: 'never' });
    const d = await readDescriptor(config.modelRepository, config.modelName);
    const source = await ensureSource(config, d, {});
    artifacts = await readLayersModel(path.join(source.dir, d.files.modelJson));
    fp32Path = (await ensureOnnxModel(d, source.dir, { precision: 'fp32' })).path;
    preprocessing = preprocessorOptions(d, config);
    const labels = JSON.parse(await readFile(path.join(source.dir, d.files.labels), 'utf8')) as Record<string, string>;
    const indexOf = (label: string): number => Number(Object.keys(labels).find((k) => labels[k] === label));
    items = [
      ...imagenetSample().map((s) => ({ file: s.file, truth: s.index })),
      ...Object.entries(SMOKE_LABELS).map(([f, label]) => ({ file: path.join(SMOKE, f), truth: indexOf(label) })),
    ];
    expect(items).toHaveLength(106);
    const pre = new ImagePreprocessor(preprocessing);
    rows = new Float32Array(items.length * ROW);
    for (const [i, it] of items.entries()) (await pre.decode(await readFile(it.file))).row.writeTo(rows, i * ROW);
    const all = await predict(fp32Path, rows, items.map((_, i) => i));
    fp32 = items.map((_, i) => all.get(i) as Float32Array);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'quant-accuracy-'));
  }, 300_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function build(plan: QuantizationPlan, name: string): Promise<string> {
    const file = path.join(tmp, `${name}.onnx`);
    await writeFile(file, await quantizedModelBytes(artifacts, plan));
    return file;
  }

  function check(label: string, preds: Predictions): void {
    for (const [set, from, to] of [['imagenet-sample 100', 0, 100], ['smoke 6', 100, 106]] as const) {
      const ref = figures(items, fp32, fp32, from, to);
      const q = figures(items, preds, fp32, from, to);
      console.log(`[int8 accuracy] ${label}, ${set}: fp32 top-1 ${ref.top1.toFixed(2)} top-5 ${ref.top5.toFixed(2)} | int8 ${fmt(q)}`);
      expect(q.agreement, `${label} ${set}: top-1 agreement`).toBeGreaterThanOrEqual(0.97);
      expect(ref.top1 - q.top1, `${label} ${set}: top-1 drop`).toBeLessThanOrEqual(0.01 + 1e-9);
      expect(ref.top5 - q.top5, `${label} ${set}: top-5 drop`).toBeLessThanOrEqual(0.01 + 1e-9);
    }
  }

  it('data-free calibration (the default) keeps fp32 accuracy; ORT runs it as quantized kernels', async () => {
    const model = await build(await dataFreePlan({ preprocessing }), 'data-free');
    const all = await predict(model, rows, items.map((_, i) => i));
    check('data-free', items.map((_, i) => all.get(i) as Float32Array));

    const ops = await optimizedOpCounts(model);
    const fp32Ops = await optimizedOpCounts(fp32Path);
    console.log(`[int8 fusions] fp32 optimised graph: ${JSON.stringify(fp32Ops)}`);
    console.log(`[int8 fusions] int8 optimised graph: ${JSON.stringify(ops)}`);
    const convs = fp32Ops.Conv ?? 0;
    const fp32Convs = DEFAULT_LAYERS.firstConv === 'fp32' ? 1 : 0;
    expect(ops.QLinearConv).toBe(convs - fp32Convs);
    expect((ops.Conv ?? 0) + (ops.FusedConv ?? 0)).toBe(fp32Convs);
    expect(ops.QLinearAdd).toBe(16);
    expect(ops.DequantizeLinear ?? 0).toBeLessThanOrEqual(2);
  }, 600_000);

  it(`image calibration (${DEFAULT_IMAGE_METHOD}, 2-fold on the 100) keeps fp32 accuracy`, async () => {
    const preds: Predictions = new Array(items.length);
    for (const fold of [0, 1]) {
      const calibration = items.slice(0, 100).filter((_, i) => i % 2 === fold);
      const evaluated = [...items.keys()].filter((i) => (i < 100 ? i % 2 !== fold : fold === 0));
      const set = { folder: 'imagenet-sample', files: calibration.map((c) => c.file), digest: `fold-${fold}` };
      const plan = imagePlan(set, DEFAULT_IMAGE_METHOD, preprocessing);
      const out = await predict(await build(plan, `images-${fold}`), rows, evaluated);
      for (const [i, p] of out) preds[i] = p;
    }
    check(`images (${DEFAULT_IMAGE_METHOD})`, preds);
  }, 900_000);
});
