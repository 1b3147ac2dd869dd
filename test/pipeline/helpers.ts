/** What the pipeline tests share: temp folders, TF.js model files, running a prepared model's engine. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll } from 'vitest';
import { configWith, type Config } from '../../src/config/config.js';
import { createEngine } from '../../src/engines/create-engine.js';
import type { PreparedModel } from '../../src/pipeline/prepare.js';
import { ImagePreprocessor } from '../../src/preprocess/preprocessor.js';
import { readImage, SMOKE } from '../helpers/paths.js';

/** A temp folder for the test file, removed afterwards. */
export function tempFolder(prefix: string): { path: (...p: string[]) => string } {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return { path: (...p) => path.join(dir, ...p) };
}

/** Settings for one MODEL_PATH model with a private cache. */
export function settingsFor(modelPath: string, cacheDir: string, over: Partial<Config> = {}): Config {
  return { ...configWith({ logLevel: 'silent', modelPath, modelName: path.basename(modelPath).replace(/\.[a-z0-9]+$/, ''), modelCacheDir: cacheDir, threads: 1 }), ...over };
}

/** Writes a TF.js layers model as tensorflowjs_converter would: `<dir>/model.json` + one shard. */
export async function writeTfjsFolder(dir: string, a: tf.io.ModelArtifacts): Promise<string> {
  await mkdir(dir, { recursive: true });
  const weights = a.weightData as ArrayBuffer;
  await writeFile(path.join(dir, 'group1-shard1of1.bin'), new Uint8Array(weights));
  const json = { format: 'layers-model', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] };
  await writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
  return path.join(dir, 'model.json');
}

/** The preprocessed rows of fixture images for this model (its own layout and normalisation). */
export async function rowsFor(p: PreparedModel, images: readonly string[] = ['beagle.jpg', 'cat.jpg']): Promise<Float32Array[]> {
  const pre = new ImagePreprocessor(p.preprocessing);
  return Promise.all(images.map(async (f) => (await pre.preprocess(readImage(path.join(SMOKE, f)))).tensor));
}

/** Runs the prepared model's engine (as the service builds it) on one batch of rows. */
export async function runPrepared(p: PreparedModel, rows: readonly Float32Array[]): Promise<Float32Array[]> {
  const engine = await createEngine(p.engineSpec);
  try {
    const { height, width } = p.descriptor.input;
    const data = new Float32Array(rows.length * rows[0].length);
    rows.forEach((r, i) => data.set(r, i * r.length));
    const out = await engine.run({ data, dims: [rows.length, height, width, 3] });
    const classes = out.dims[1];
    return rows.map((_, i) => out.data.slice(i * classes, (i + 1) * classes));
  } finally {
    await engine.dispose();
  }
}

export const top5 = (p: ArrayLike<number>): number[] => [...Array.from(p).keys()].sort((a, b) => p[b] - p[a]).slice(0, 5);
