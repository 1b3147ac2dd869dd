/** An ONNX export served as exported: NCHW rows, torch preprocessing, logits or probabilities, fixed or dynamic batch. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { prepareModel } from '../../src/pipeline/prepare.js';
import { ImagePreprocessor } from '../../src/preprocess/preprocessor.js';
import { expectClose } from '../convert/helpers.js';
import { readImage, SMOKE } from '../helpers/paths.js';
import { reference, tinyClassifier } from './onnx-models.js';
import { rowsFor, runPrepared, settingsFor, tempFolder } from './helpers.js';

const tmp = tempFolder('onnx-files-');
const TORCH = { channelOrder: 'RGB', mean: [0.485 * 255, 0.456 * 255, 0.406 * 255], std: [0.229 * 255, 0.224 * 255, 0.225 * 255] };

async function onnxFile(name: string, bytes: Uint8Array): Promise<string> {
  const file = tmp.path(name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return file;
}

describe('an ONNX model (NCHW, torch preprocessing)', () => {
  it('is served as exported: planar rows, logits detected, outputs equal to the model\'s on a batch of 2', async () => {
    const file = await onnxFile('torchnet.onnx', tinyClassifier({ height: 12, width: 10 }));
    const logs: string[] = [];
    const p = await prepareModel(settingsFor(file, tmp.path('cache'), { preprocess: 'torch' }), { log: (m) => logs.push(m) });
    expect(p.descriptor).toMatchObject({
      name: 'torchnet',
      platform: 'onnx',
      input: { height: 12, width: 10, channels: 3, layout: 'NCHW', datatype: 'FP32' },
      output: { classes: 3, activation: 'none' },
      batching: { maxBatchSize: 8, maxQueueDelayMs: 0 },
    });
    expect(p.descriptor.preprocessing).toEqual({ ...TORCH, resize: { mode: 'crop', shorter: 14 } });
    expect(p.engineSpec).toEqual({ engine: 'onnx', modelPath: file, threads: 1, precision: 'fp32', inputLayout: 'NCHW' });
    expect([p.precision, p.note, p.convertSeconds, p.labels]).toEqual(['fp32', 'ONNX model served as exported', 0, ['class_0', 'class_1', 'class_2']]);

    // The row is the NHWC row's channels written as planes.
    const rows = await rowsFor(p);
    const nhwc = (await new ImagePreprocessor({ ...p.preprocessing, normalization: { ...p.preprocessing.normalization, layout: undefined } }).preprocess(readImage(path.join(SMOKE, 'beagle.jpg')))).tensor;
    const plane = 12 * 10;
    for (const i of [0, 17, 119]) for (const c of [0, 1, 2]) expect(rows[0][c * plane + i]).toBe(nhwc[i * 3 + c]);

    const got = await runPrepared(p, rows);
    got.forEach((g, i) => expectClose(g, reference(rows[i]), `image ${i}`, 1e-4));
    expect(logs.some((l) => l.includes('no labels file'))).toBe(true);
  });

  it('a final Softmax means probabilities; a batch fixed at 1 turns dynamic batching off; NHWC exports work too', async () => {
    const file = await onnxFile('fixed/probs.onnx', tinyClassifier({ height: 8, width: 8, batch: 1, softmax: true, nhwc: true }));
    await writeFile(tmp.path('fixed', 'model.yaml'), 'preprocess: tf\n');
    const p = await prepareModel(settingsFor(tmp.path('fixed'), tmp.path('cache'), { modelName: 'fixed' }));
    expect(p.descriptor).toMatchObject({ input: { height: 8, width: 8, layout: 'NHWC' }, output: { classes: 3, activation: 'softmax' }, batching: { maxBatchSize: 1 } });
    expect(p.note).toBe('ONNX model served as exported; batch fixed at 1 by the model: no dynamic batching');
    const [row] = await rowsFor(p, ['cat.jpg']);
    const [got] = await runPrepared(p, [row]);
    // The reference takes NCHW: transpose the NHWC row.
    const planar = Float32Array.from({ length: row.length }, (_, j) => row[(j % 64) * 3 + Math.floor(j / 64)]);
    expectClose(got, reference(planar, true), 'probabilities', 1e-5);
  });

  it('OUTPUT and labels override what is detected; a labels count that does not match is refused', async () => {
    const file = await onnxFile('lab/net.onnx', tinyClassifier({ height: 8, width: 8 }));
    await writeFile(tmp.path('lab', 'names.json'), '{"0": "red", "1": "green", "2": "blue"}');
    const p = await prepareModel(settingsFor(file, tmp.path('cache'), { preprocess: 'caffe', output: 'probabilities', labels: tmp.path('lab', 'names.json') }));
    expect([p.labels, p.descriptor.output.activation]).toEqual([['red', 'green', 'blue'], 'softmax']);
    await writeFile(tmp.path('lab', 'four.txt'), 'a\nb\nc\nd\n');
    await expect(prepareModel(settingsFor(file, tmp.path('cache'), { preprocess: 'caffe', labels: tmp.path('lab', 'four.txt') }))).rejects.toThrow(
      `labels ${tmp.path('lab', 'four.txt')}: 4 labels for a model with 3 output classes (net version 1); the counts must match`,
    );
  });
});
