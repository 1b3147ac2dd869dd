import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadConfig, modelNameOf } from '../../src/config/config.js';
import { normalize } from '../../src/preprocess/normalize.js';
import { PRESETS } from '../../src/preprocess/presets.js';
import { preprocessorOptions } from '../../src/preprocess/preprocessor.js';
import type { ModelDescriptor } from '../../src/model/descriptor.js';

describe('model settings (MODEL_PATH, MODEL_NAME, PREPROCESS, LABELS, OUTPUT)', () => {
  it('are unset by default; MODEL_NAME stays resnet50 (the built-in)', () => {
    expect(loadConfig({})).toMatchObject({ modelPath: undefined, modelName: 'resnet50', preprocess: undefined, labels: undefined, output: undefined });
  });

  it('MODEL_PATH names the model after its file or folder unless MODEL_NAME says', () => {
    expect(loadConfig({ MODEL_PATH: 'x/pets.h5' })).toMatchObject({ modelPath: path.resolve('x/pets.h5'), modelName: 'pets' });
    expect(loadConfig({ MODEL_PATH: '/mnt/models', MODEL_NAME: 'flowers' }).modelName).toBe('flowers');
    expect(modelNameOf('/a/mobilenet/model.json')).toBe('mobilenet');
    expect(modelNameOf('/a/My Net v2.onnx')).toBe('My_Net_v2');
    expect(loadConfig({ PREPROCESS: 'Torch', OUTPUT: 'logits', LABELS: 'l.txt' })).toMatchObject({ preprocess: 'torch', output: 'logits', labels: path.resolve('l.txt') });
  });

  it.each([
    ['PREPROCESS', 'imagenet', 'invalid PREPROCESS="imagenet": expected one of caffe, tf, torch'],
    ['OUTPUT', 'softmax', 'invalid OUTPUT="softmax": expected one of logits, probabilities'],
    ['MODEL_NAME', 'a/b', 'invalid MODEL_NAME="a/b": expected a model name of letters, digits, "_", "." and "-" (at most 128, starting with a letter or digit)'],
  ])('stops on a bad %s=%s naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});

describe('preprocessing presets', () => {
  it('caffe, tf and torch map 8-bit pixels as Keras / torchvision do', () => {
    const px = Uint8Array.from([0, 128, 255]);
    expect([...normalize(px, PRESETS.caffe)]).toEqual([255 - 103.939, 128 - 116.779, 0 - 123.68].map(Math.fround));
    expect([...normalize(px, PRESETS.tf)]).toEqual([-1, 0.5 / 127.5, 1].map(Math.fround));
    const torch = [...normalize(px, PRESETS.torch)];
    [(0 / 255 - 0.485) / 0.229, (128 / 255 - 0.456) / 0.224, (255 / 255 - 0.406) / 0.225].forEach((want, i) => expect(torch[i]).toBeCloseTo(want, 5));
  });
});

describe('NCHW rows', () => {
  // 2 x 2 pixels, RGB interleaved: pixel p has (R, G, B) = (10p+1, 10p+2, 10p+3).
  const px = Uint8Array.from([1, 2, 3, 11, 12, 13, 21, 22, 23, 31, 32, 33]);
  const plain = { channelOrder: 'RGB', mean: [0, 0, 0], std: [1, 1, 1] } as const;

  it('are written planar: all R, then all G, then all B (into their batch slot)', () => {
    const out = new Float32Array(2 + 12).fill(-7);
    normalize(px, { ...plain, layout: 'NCHW' }, out, 2);
    expect([...out]).toEqual([-7, -7, 1, 11, 21, 31, 2, 12, 22, 32, 3, 13, 23, 33]);
  });

  it('in the model\'s channel order (BGR planes for caffe)', () => {
    expect([...normalize(px, { ...plain, channelOrder: 'BGR', layout: 'NCHW' })]).toEqual([3, 13, 23, 33, 2, 12, 22, 32, 1, 11, 21, 31]);
  });

  it('an NCHW model\'s preprocessor options say so; an NHWC model\'s stay as before', () => {
    const d = {
      input: { height: 2, width: 2, channels: 3, layout: 'NCHW', datatype: 'FP32' },
      preprocessing: { ...plain, mean: [0, 0, 0], std: [1, 1, 1], resize: { mode: 'crop', shorter: 2 } },
    } as unknown as ModelDescriptor;
    expect(preprocessorOptions(d, { maxPixels: 100, minImageSide: 1 }).normalization).toEqual({ ...plain, layout: 'NCHW' });
    const nhwc = { ...d, input: { ...d.input, layout: 'NHWC' } } as ModelDescriptor;
    expect(preprocessorOptions(nhwc, { maxPixels: 100, minImageSide: 1 }).normalization).toEqual(plain);
  });
});
