import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { plan } from '../../src/preprocess/decode.js';
import { normalize } from '../../src/preprocess/normalize.js';
import { ImagePreprocessor } from '../../src/preprocess/preprocessor.js';
import { AppError } from '../../src/errors.js';

const caffe = { channelOrder: 'BGR', mean: [103.939, 116.779, 123.68], std: [1, 1, 1] } as const;
const geometry = { width: 224, height: 224, mode: 'crop', shorter: 256 } as const;
const pre = new ImagePreprocessor({ geometry, normalization: caffe, limits: { maxPixels: 40_000_000, minSide: 8 } });

/** A solid-colour image in the given encoding. */
const solid = (w: number, h: number, rgb: [number, number, number], channels: 3 | 4 = 3) =>
  sharp({ create: { width: w, height: h, channels, background: { r: rgb[0], g: rgb[1], b: rgb[2], alpha: channels === 4 ? 0 : 1 } } });

describe('resize plan', () => {
  it('crop: shorter side to 256, centred 224 window', () => {
    expect(plan(640, 480, geometry)).toEqual({ resizeW: 341, resizeH: 256, left: 58, top: 16 });
    expect(plan(480, 640, geometry)).toEqual({ resizeW: 256, resizeH: 341, left: 16, top: 58 });
    expect(plan(227, 227, geometry)).toEqual({ resizeW: 256, resizeH: 256, left: 16, top: 16 });
  });
  it('squash: straight to the input size', () => {
    expect(plan(640, 480, { ...geometry, mode: 'squash' })).toEqual({ resizeW: 224, resizeH: 224, left: 0, top: 0 });
  });
});

describe('normalize (Keras caffe)', () => {
  it('swaps RGB to BGR and subtracts the BGR means, no scaling', () => {
    const out = normalize(Uint8Array.from([10, 20, 30, 255, 0, 128]), caffe);
    const expected = [30 - 103.939, 20 - 116.779, 10 - 123.68, 128 - 103.939, 0 - 116.779, 255 - 123.68];
    expected.forEach((v, i) => expect(out[i]).toBeCloseTo(v, 4));
  });
});

describe('normalize into a batch slot', () => {
  it('writes at the offset and leaves the rest of the batch alone', () => {
    const batch = new Float32Array(9).fill(-1);
    normalize(Uint8Array.from([10, 20, 30]), caffe, batch, 3);
    expect(Array.from(batch.slice(0, 3))).toEqual([-1, -1, -1]);
    expect(batch[3]).toBeCloseTo(30 - 103.939, 4);
    expect(batch[5]).toBeCloseTo(10 - 123.68, 4);
    expect(Array.from(batch.slice(6))).toEqual([-1, -1, -1]);
    expect(() => normalize(Uint8Array.from([1, 2, 3]), caffe, batch, 7)).toThrow(RangeError);
  });
});

describe('ImagePreprocessor', () => {
  it('decode() gives a row that writes exactly what preprocess() returns', async () => {
    const png = await solid(300, 200, [200, 100, 50]).png().toBuffer();
    const { row, source } = await pre.decode(png);
    expect(source).toEqual({ format: 'png', width: 300, height: 200 });
    const batch = new Float32Array(2 * row.length);
    row.writeTo(batch, row.length);
    expect(batch.subarray(row.length)).toEqual((await pre.preprocess(png)).tensor);
    expect(batch[0]).toBe(0);
  });

  it('produces a 224x224x3 caffe tensor from a PNG', async () => {
    const png = await solid(300, 200, [200, 100, 50]).png().toBuffer();
    const { tensor, source } = await pre.preprocess(png);
    expect(source).toEqual({ format: 'png', width: 300, height: 200 });
    expect(tensor.length).toBe(224 * 224 * 3);
    expect(tensor[0]).toBeCloseTo(50 - 103.939, 3);
    expect(tensor[1]).toBeCloseTo(100 - 116.779, 3);
    expect(tensor[2]).toBeCloseTo(200 - 123.68, 3);
  });

  it('composites transparent pixels over white', async () => {
    const png = await solid(64, 64, [0, 0, 0], 4).png().toBuffer();
    const { tensor } = await pre.preprocess(png);
    expect(tensor[0]).toBeCloseTo(255 - 103.939, 3);
  });

  it('takes an RGB image\'s stored values as they are, ignoring its ICC profile (as Keras/PIL do)', async () => {
    // Tagged Display P3: the stored values differ from the sRGB colour it was made from.
    const p3 = await solid(64, 64, [220, 40, 40]).withIccProfile('p3').png().toBuffer();
    const stored = await sharp(p3, { ignoreIcc: true }).raw().toBuffer();
    const managed = await sharp(p3).raw().toBuffer();
    expect(Math.abs(stored[1] - managed[1])).toBeGreaterThan(5);
    const { tensor } = await pre.preprocess(p3);
    expect(tensor[0]).toBeCloseTo(stored[2] - 103.939, 3);
    expect(tensor[1]).toBeCloseTo(stored[1] - 116.779, 3);
    expect(tensor[2]).toBeCloseTo(stored[0] - 123.68, 3);
  });

  it('converts real 16-bit PNGs to 8-bit', async () => {
    const png16 = await solid(64, 64, [255, 128, 0]).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const { tensor } = await pre.preprocess(png16);
    expect(tensor[0]).toBeCloseTo(0 - 103.939, 3);
    expect(tensor[2]).toBeCloseTo(255 - 123.68, 3);
  });

  it('refuses SVG even though the decoder could read it', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"><rect width="300" height="300"/></svg>');
    await expect(pre.preprocess(svg)).rejects.toMatchObject({ kind: 'unsupported_media', code: 'unsupported_image' });
  });

  it('refuses header-declared dimensions over the pixel limit before decoding', async () => {
    const small = new ImagePreprocessor({ geometry, normalization: caffe, limits: { maxPixels: 1000, minSide: 8 } });
    const png = await solid(100, 100, [1, 2, 3]).png().toBuffer();
    const err = await small.preprocess(png).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: 'too_large', code: 'image_too_large' });
  });
});
