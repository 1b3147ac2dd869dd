/**
 * The converted ONNX model, cached next to its source: `<model cache>/onnx/<name>-<precision>-<key>.onnx`
 * where `key` hashes everything the bytes depend on (source integrity, converter version,
 * precision, calibration). A restart finds the file and does not reconvert; a new source, converter
 * or calibration gets a new key. A `.sha256` sidecar lets a corrupted file be caught at start.
 */
import { createHash } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Precision } from '../config/config.js';
import { convertLayersModel, CONVERTER_VERSION } from '../convert/index.js';
import { StartupError } from '../errors.js';
import { readLayersModel } from '../model/artifacts.js';
import type { NpmModelDescriptor } from '../model/descriptor.js';
import { quantizedModelBytes } from '../quantize/quantize-model.js';
import type { QuantizationPlan } from '../quantize/quantization-plan.js';
import { intact, writeAtomically } from './atomic-file.js';

export interface OnnxModelFile {
  path: string;
  /** Seconds spent converting (0 when the cache had it). */
  seconds: number;
  converted: boolean;
}

export interface OnnxBuild {
  precision: Precision;
  /** How int8 activation ranges were calibrated; part of the cache key. */
  quantization?: QuantizationPlan;
}

export function cacheKey(d: NpmModelDescriptor, build: OnnxBuild): string {
  const parts = { integrity: d.source.integrity, converter: CONVERTER_VERSION, precision: build.precision, quantization: build.quantization?.fingerprint ?? null };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** Drops older conversions of the same model and precision (other keys). */
async function pruneOthers(dir: string, keep: string, prefix: string): Promise<void> {
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (f.startsWith(prefix) && !f.startsWith(keep)) await rm(path.join(dir, f), { force: true });
  }
}

async function build(d: NpmModelDescriptor, sourceDir: string, b: OnnxBuild): Promise<Uint8Array> {
  const artifacts = await readLayersModel(path.join(sourceDir, d.files.modelJson));
  if (b.precision === 'int8') {
    if (!b.quantization) throw new StartupError('int8 needs a quantization plan');
    return quantizedModelBytes(artifacts, b.quantization);
  }
  try {
    return convertLayersModel(artifacts).bytes;
  } catch (err) {
    throw new StartupError(`cannot convert ${d.name} to ONNX: ${(err as Error).message}`, { cause: err });
  }
}

const filePrefix = (d: NpmModelDescriptor, b: OnnxBuild): string => `${d.name}-${b.precision}-`;

/** Where the conversion for this build lives in the model's cache folder. */
export function onnxModelPath(d: NpmModelDescriptor, sourceDir: string, b: OnnxBuild): string {
  return path.join(sourceDir, 'onnx', `${filePrefix(d, b)}${cacheKey(d, b)}.onnx`);
}

export async function ensureOnnxModel(d: NpmModelDescriptor, sourceDir: string, b: OnnxBuild, log?: (msg: string) => void): Promise<OnnxModelFile> {
  const prefix = filePrefix(d, b);
  const file = onnxModelPath(d, sourceDir, b);
  const name = path.basename(file);
  if (await intact(file)) return { path: file, seconds: 0, converted: false };
  // A read-only image may still carry a conversion made for it elsewhere (e.g. /tmp of a prior run).
  const fallback = path.join(os.tmpdir(), 'resnet-serve', name);
  if (await intact(fallback)) return { path: fallback, seconds: 0, converted: false };

  const started = performance.now();
  log?.(`converting ${d.name} to ONNX (${b.precision}${b.quantization ? `, ${b.quantization.method}` : ''})`);
  const bytes = await build(d, sourceDir, b);
  const seconds = (performance.now() - started) / 1000;
  try {
    await writeAtomically(file, bytes);
    await pruneOthers(path.dirname(file), name, prefix);
    return { path: file, seconds, converted: true };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') throw err;
    // Read-only model folder (e.g. a container without a build-time conversion): use temp space.
    log?.(`model folder is read-only (${code}); caching the conversion in ${path.dirname(fallback)}`);
    await writeAtomically(fallback, bytes);
    return { path: fallback, seconds, converted: true };
  }
}
