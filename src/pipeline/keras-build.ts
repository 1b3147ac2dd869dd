/**
 * A Keras-family model file (.h5, .keras, TF.js model.json) -> ONNX with the project's converter,
 * int8-quantized as configured, cached by content hash under `<cache>/files/<model>/<version>/`:
 *   meta-<key>.json          what the model takes and gives (read without decoding any weight)
 *   fp32-<key>.onnx          the conversion
 *   int8-<key>-<plan>.onnx   the quantized build for one calibration plan
 *   int8-<key>-<plan>.refused  why that plan could not quantize this model (served fp32 then)
 * `key` hashes the file's bytes (and shards) and the converter version: a changed file is
 * re-converted, an unchanged one starts without reading its weights.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Precision } from '../config/config.js';
import { CONVERTER_VERSION } from '../convert/index.js';
import { sha256File } from '../model/cache.js';
import { quantizedModelBytes } from '../quantize/quantize-model.js';
import type { QuantizationPlan } from '../quantize/quantization-plan.js';
import { convertKerasSource, kerasOutputActivation, readKerasH5, readKerasV3, readTfjsLayersModel, type KerasModelSource } from '../sources/index.js';
import { BuildCache } from './build-cache.js';

export type KerasFormat = 'keras-h5' | 'keras-v3' | 'tfjs-layers';

export interface KerasMeta {
  inputName: string;
  /** [batch, height, width, channels] as the model declares it (null: any). */
  inputShape: (number | null)[];
  classes: number;
  activation: 'softmax' | 'none';
}

export interface KerasBuild {
  meta: KerasMeta;
  /** The fp32 ONNX conversion (undefined when `onnx` was not asked). */
  fp32?: string;
  /** The file to serve for the asked precision, and the precision it has. */
  served?: { path: string; precision: Precision; note?: string };
  seconds: number;
}

export function readKerasFamily(format: KerasFormat, file: string): Promise<KerasModelSource> {
  if (format === 'keras-h5') return readKerasH5(file);
  if (format === 'keras-v3') return readKerasV3(file);
  return readTfjsLayersModel(file);
}

/** sha256 over the model's bytes: the file, or a TF.js model.json and its shards in manifest order. */
async function contentHash(format: KerasFormat, file: string): Promise<string> {
  if (format !== 'tfjs-layers') return sha256File(file);
  const text = await readFile(file, 'utf8');
  const hash = createHash('sha256').update(text);
  let manifest: { paths: string[] }[] = [];
  try {
    manifest = (JSON.parse(text) as { weightsManifest?: { paths: string[] }[] }).weightsManifest ?? [];
  } catch {
    // Not JSON: the reader says so precisely; the hash of the text is key enough.
  }
  for (const p of manifest.flatMap((g) => g.paths ?? [])) hash.update(await sha256File(path.join(path.dirname(file), p)).catch(() => 'missing'));
  return hash.digest('hex');
}

export interface KerasBuildRequest {
  format: KerasFormat;
  file: string;
  cache: BuildCache;
  /** Build ONNX at all (false: the TF.js engine serves the model.json as it is). */
  onnx: boolean;
  precision: Precision;
  /** The int8 plan; made only once the model's input (hence preprocessing) is known. */
  plan?: (meta: KerasMeta) => Promise<QuantizationPlan>;
  log?: (msg: string) => void;
}

export async function buildKerasModel(req: KerasBuildRequest): Promise<KerasBuild> {
  const started = performance.now();
  const key = createHash('sha256').update(`${await contentHash(req.format, req.file)}:${CONVERTER_VERSION}`).digest('hex').slice(0, 16);
  const keep = (f: string): boolean => f.includes(key);
  let source: KerasModelSource | undefined;
  const load = async (): Promise<KerasModelSource> => (source ??= await readKerasFamily(req.format, req.file));
  let converted = false;

  let metaText = await req.cache.findText(`meta-${key}.json`);
  let plan: QuantizationPlan | undefined;
  const planFor = async (meta: KerasMeta): Promise<QuantizationPlan | undefined> => (plan ??= req.plan && (await req.plan(meta)));
  const int8Name = (p: QuantizationPlan): string => `int8-${key}-${p.fingerprint}`;
  if (metaText !== undefined && req.onnx && req.precision === 'int8') {
    // The usual restart: the int8 build is there; the fp32 one need not even be hashed.
    const meta = JSON.parse(metaText) as KerasMeta;
    const p = await planFor(meta);
    const found = p && (await req.cache.find(`${int8Name(p)}.onnx`));
    if (found) return { meta, served: { path: found, precision: 'int8' }, seconds: 0 };
  }
  let fp32 = await req.cache.find(`fp32-${key}.onnx`);
  if (metaText === undefined || (req.onnx && fp32 === undefined)) {
    const src = await load();
    req.log?.(`converting ${req.file} (${req.format}) to ONNX`);
    const model = convertKerasSource(src);
    const classes = model.outputShape[1];
    const meta: KerasMeta = { inputName: src.input.name, inputShape: src.input.shape, classes: typeof classes === 'number' ? classes : -1, activation: kerasOutputActivation(src.artifacts.modelTopology) };
    fp32 = await req.cache.store(`fp32-${key}.onnx`, model.bytes, keep, req.log);
    metaText = JSON.stringify(meta);
    await req.cache.store(`meta-${key}.json`, metaText, keep, req.log);
    converted = true;
  }
  const meta = JSON.parse(metaText) as KerasMeta;
  if (!req.onnx || fp32 === undefined) return { meta, seconds: converted ? (performance.now() - started) / 1000 : 0 };

  let served: KerasBuild['served'] = { path: fp32, precision: 'fp32' };
  const planned = req.precision === 'int8' ? await planFor(meta) : undefined;
  if (planned) {
    const name = int8Name(planned);
    const found = await req.cache.find(`${name}.onnx`);
    const refused = found ? undefined : await req.cache.findText(`${name}.refused`);
    if (found) served = { path: found, precision: 'int8' };
    else if (refused !== undefined) served = { path: fp32, precision: 'fp32', note: refused };
    else {
      req.log?.(`quantizing ${req.file} to int8 (${planned.method})`);
      converted = true;
      try {
        const bytes = await quantizedModelBytes((await load()).artifacts, planned);
        served = { path: await req.cache.store(`${name}.onnx`, bytes, keep, req.log), precision: 'int8' };
      } catch (err) {
        // A valid model is never refused for want of int8: it serves fp32, and says why.
        const why = `served fp32: int8 quantization (${planned.method}) is not possible for this model: ${(err as Error).message.replace(/^cannot build the int8 model \([^)]*\): /, '')}`;
        req.log?.(`${req.file}: ${why}`);
        await req.cache.store(`${name}.refused`, why, keep, req.log);
        served = { path: fp32, precision: 'fp32', note: why };
      }
    }
  }
  return { meta, fp32, served, seconds: converted ? (performance.now() - started) / 1000 : 0 };
}
