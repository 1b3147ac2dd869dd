import { describe, expect, it } from 'vitest';
import { rectified } from '../../src/quantize/calibrate-bn.js';
import { entropyRange, Histogram, percentileRange } from '../../src/quantize/histogram.js';
import {
  activationParams,
  biasScales,
  dequantize,
  fitBiasScales,
  INT32_MAX,
  quantizeBias,
  quantizePerChannel,
  quantizeU8,
  roundHalfEven,
} from '../../src/quantize/quant-math.js';
import { rng } from '../convert/helpers.js';

describe('rounding', () => {
  it('rounds half to even like ONNX QuantizeLinear', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 3, -3]);
  });
});

describe('uint8 activation parameters', () => {
  it('maps [0, max] to zero point 0 (what lets a Q replace a Relu)', () => {
    const p = activationParams(0, 25.5);
    expect(p.zeroPoint).toBe(0);
    expect(p.scale).toBeCloseTo(0.1, 7);
  });

  it('places 0 exactly on a level for a signed range', () => {
    const p = activationParams(-1, 1);
    expect(p.scale).toBeCloseTo(2 / 255, 7);
    expect([127, 128]).toContain(p.zeroPoint); // 1 / float32(scale) puts the middle just off 127.5
    expect(dequantize(quantizeU8(0, p), p)).toBe(0);
  });

  it('widens a range that excludes 0 and survives a degenerate one', () => {
    expect(activationParams(2, 5)).toEqual(activationParams(0, 5));
    expect(activationParams(0, 0)).toEqual({ scale: 1, zeroPoint: 0 });
    expect(() => activationParams(1, -1)).toThrow(RangeError);
  });

  it('round-trips in-range values within half a step and saturates outside', () => {
    const p = activationParams(-3, 9);
    for (let x = -3; x <= 9; x += 0.037) expect(Math.abs(dequantize(quantizeU8(x, p), p) - x)).toBeLessThanOrEqual(p.scale / 2 + 1e-6);
    expect(quantizeU8(100, p)).toBe(255);
    expect(quantizeU8(-100, p)).toBe(0);
  });
});

describe('symmetric per-channel int8 weights', () => {
  it('scales each output channel (axis 0) by its own max |w| / 127', () => {
    const w = Float32Array.of(0.5, -1, 0.25, 0, 0, 0);
    const q = quantizePerChannel(w, [2, 1, 1, 3], 0);
    expect(q.scales[0]).toBeCloseTo(1 / 127, 9);
    expect(q.scales[1]).toBe(1); // all-zero channel
    expect([...q.values]).toEqual([64, -127, 32, 0, 0, 0]); // 63.5 -> 64, 31.75 -> 32
  });

  it('scales per column (axis 1) for a Gemm B [K, N]', () => {
    const q = quantizePerChannel(Float32Array.of(1, 2, 3, -2, 1, 0.5), [2, 3], 1);
    expect([...q.scales].map((s) => s * 127)).toEqual([2, 2, 3].map((v) => expect.closeTo(v, 5)));
    expect([...q.values]).toEqual([64, 127, 127, -127, 64, 21]);
  });

  it('keeps every value within half a step of its channel scale', () => {
    const rand = rng(3);
    const dims = [16, 8, 3, 3];
    const w = Float32Array.from({ length: 16 * 72 }, () => (rand() - 0.5) * (1 + rand() * 4));
    const q = quantizePerChannel(w, dims, 0);
    w.forEach((v, i) => {
      const s = q.scales[Math.floor(i / 72)];
      expect(Math.abs(q.values[i] * s - v)).toBeLessThanOrEqual(s / 2 + 1e-7);
      expect(Math.abs(q.values[i])).toBeLessThanOrEqual(127);
    });
  });
});

describe('int32 bias', () => {
  it('uses scale = input scale x weight scale (float32) and zero point 0', () => {
    const ws = Float32Array.of(0.01, 0.02);
    expect([...biasScales(0.5, ws)]).toEqual([Math.fround(0.5 * Math.fround(0.01)), Math.fround(0.5 * Math.fround(0.02))]);
    expect([...quantizeBias([1, -0.333], 0.5, ws)]).toEqual([200, -33]);
  });

  it('widens a weight scale when the bias would not fit int32', () => {
    const ws = Float32Array.of(1e-12, 0.5);
    const fitted = fitBiasScales([1e3, 1], 1e-3, ws);
    expect(fitted).not.toBe(ws);
    expect(fitted[1]).toBe(ws[1]);
    const q = quantizeBias([1e3, 1], 1e-3, fitted);
    expect(Math.abs(q[0])).toBeLessThan(INT32_MAX);
    expect(q[0] * biasScales(1e-3, fitted)[0]).toBeCloseTo(1e3, 0);
    expect(fitBiasScales([1, 1], 0.1, Float32Array.of(0.1, 0.1))).toEqual(Float32Array.of(0.1, 0.1));
  });
});

describe('range selection from histograms', () => {
  const rand = rng(11);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

  it('percentile cuts the tails', () => {
    const v = Float32Array.from({ length: 100_000 }, () => rand());
    const h = new Histogram(0, 1, 1000);
    h.add(v);
    const r = percentileRange(h, { min: 0, max: 1 }, 99);
    expect(r.min).toBeCloseTo(0.005, 2);
    expect(r.max).toBeCloseTo(0.995, 2);
  });

  it('entropy keeps the body of a Relu output and drops a lone outlier', () => {
    const v = Float32Array.from({ length: 200_000 }, () => Math.max(0, gauss() * 2 + 0.5));
    v[0] = 60; // one activation far out: min-max would spend the 256 levels on it
    const h = new Histogram(0, 60, 2048);
    h.add(v);
    const r = entropyRange(h, { min: 0, max: 60 });
    expect(r.min).toBe(0);
    expect(r.max).toBeGreaterThan(6);
    expect(r.max).toBeLessThan(15);
  });
});

describe('data-free moments', () => {
  it('rectified Gaussian N(0, 1): mean 1/sqrt(2 pi), variance 1/2 - 1/(2 pi)', () => {
    const r = rectified({ mean: Float64Array.of(0, 3), std: Float64Array.of(1, 0) });
    expect(r.mean[0]).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 6);
    expect(r.std[0]).toBeCloseTo(Math.sqrt(0.5 - 1 / (2 * Math.PI)), 6);
    expect(r.mean[1]).toBe(3);
  });
});
