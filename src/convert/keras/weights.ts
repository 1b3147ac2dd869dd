import { WeightError } from '../errors.js';
import { product } from '../tensor-math.js';
import type { WeightSpec } from './types.js';

export interface DecodedWeight {
  name: string;
  dims: number[];
  data: Float32Array;
}

/**
 * Decode tfjs weight specs + concatenated weight data into float32 arrays.
 * Handles plain float32/int32 and tfjs-converter quantization (uint8/uint16
 * affine `q * scale + min`, float16).
 */
export function decodeWeights(specs: WeightSpec[], weightData: ArrayBuffer | ArrayBuffer[] | undefined): DecodedWeight[] {
  const buffer = concatBuffers(weightData);
  const out: DecodedWeight[] = [];
  let offset = 0;
  for (const spec of specs) {
    const count = product(spec.shape);
    const { data, bytes } = decodeOne(spec, buffer, offset, count);
    out.push({ name: spec.name, dims: [...spec.shape], data });
    offset += bytes;
  }
  if (offset !== buffer.byteLength) {
    throw new WeightError(`weight specs describe ${offset} bytes but weightData has ${buffer.byteLength}`);
  }
  return out;
}

function concatBuffers(data: ArrayBuffer | ArrayBuffer[] | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  if (!Array.isArray(data)) return data;
  const total = data.reduce((a, b) => a + b.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), off);
    off += b.byteLength;
  }
  return out.buffer;
}

function decodeOne(spec: WeightSpec, buffer: ArrayBuffer, offset: number, count: number): { data: Float32Array; bytes: number } {
  const need = (bytes: number): ArrayBuffer => {
    if (offset + bytes > buffer.byteLength) throw new WeightError(`weightData too short for weight "${spec.name}"`);
    return buffer.slice(offset, offset + bytes); // copy: keeps typed-array alignment
  };
  const q = spec.quantization;
  if (q) {
    if (q.dtype === 'float16') return { data: halfToFloat(new Uint16Array(need(count * 2))), bytes: count * 2 };
    if (q.dtype === 'uint8' || q.dtype === 'uint16') {
      if (typeof q.scale !== 'number' || typeof q.min !== 'number') {
        throw new WeightError(`weight "${spec.name}": ${q.dtype} quantization without scale/min is not supported`);
      }
      const raw = q.dtype === 'uint8' ? new Uint8Array(need(count)) : new Uint16Array(need(count * 2));
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = raw[i] * q.scale + q.min;
      return { data, bytes: raw.byteLength };
    }
    throw new WeightError(`weight "${spec.name}": unsupported quantization dtype "${q.dtype}"`);
  }
  if (spec.dtype === 'float32') return { data: new Float32Array(need(count * 4)), bytes: count * 4 };
  if (spec.dtype === 'int32') return { data: Float32Array.from(new Int32Array(need(count * 4))), bytes: count * 4 };
  throw new WeightError(`weight "${spec.name}": unsupported dtype "${spec.dtype}"`);
}

/** IEEE 754 half -> single precision. */
export function halfToFloat(h: Uint16Array): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) {
    const v = h[i];
    const sign = v & 0x8000 ? -1 : 1;
    const exp = (v >> 10) & 0x1f;
    const frac = v & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac ? NaN : sign * Infinity;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** Strip the TF variable suffix (`:0`) and split "prefix/suffix". */
function splitName(name: string): { prefix: string; suffix: string } {
  const clean = name.replace(/:\d+$/, '');
  const slash = clean.lastIndexOf('/');
  return slash < 0 ? { prefix: '', suffix: clean } : { prefix: clean.slice(0, slash), suffix: clean.slice(slash + 1) };
}

/**
 * Finds a layer's weights by name. Weight names differ across Keras/tfjs
 * versions (`conv1/kernel`, `model/conv1/kernel`, `conv1/conv1/kernel`,
 * `conv1/kernel:0`), so a layer owns the weights whose prefix equals its name,
 * else those whose prefix ends with `/<name>`, else whose prefix starts with
 * `<name>/`.
 */
export class WeightStore {
  private readonly byPrefix = new Map<string, Map<string, DecodedWeight>>();
  private readonly consumed = new Set<DecodedWeight>();

  constructor(weights: DecodedWeight[]) {
    for (const w of weights) {
      const { prefix, suffix } = splitName(w.name);
      let group = this.byPrefix.get(prefix);
      if (!group) this.byPrefix.set(prefix, (group = new Map()));
      group.set(suffix, w);
    }
  }

  /** Weights of one layer keyed by suffix (`kernel`, `bias`, `gamma`, ...). */
  forLayer(layerName: string): Map<string, DecodedWeight> {
    const exact = this.byPrefix.get(layerName);
    if (exact) return exact;
    const rules = [(p: string) => p.endsWith(`/${layerName}`), (p: string) => p.startsWith(`${layerName}/`)];
    for (const rule of rules) {
      const hits = [...this.byPrefix.keys()].filter(rule);
      if (hits.length === 1) return this.byPrefix.get(hits[0]) as Map<string, DecodedWeight>;
      if (hits.length > 1) throw new WeightError(`layer "${layerName}": ambiguous weight groups ${hits.join(', ')}`);
    }
    return new Map();
  }

  markConsumed(w: DecodedWeight): void {
    this.consumed.add(w);
  }

  /** Names of weights no handler asked for (useful to spot name mismatches). */
  unconsumed(): string[] {
    const out: string[] = [];
    for (const g of this.byPrefix.values()) for (const w of g.values()) if (!this.consumed.has(w)) out.push(w.name);
    return out;
  }
}
