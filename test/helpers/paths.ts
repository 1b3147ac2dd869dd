/** Where the shared test data lives (beside the project, read-only in CI). Tests only. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED = path.resolve(PROJECT, '..', 'shared');
export const SMOKE = path.join(SHARED, 'images', 'smoke');
export const EDGE = path.join(SHARED, 'images', 'edge');
export const IMAGENET_SAMPLE = path.join(SHARED, 'images', 'imagenet-sample');

/** The six smoke photos and their expected top-1 label (from shared/README.md). */
export const SMOKE_LABELS: Record<string, string> = {
  'beagle.jpg': 'beagle',
  'cat.jpg': 'tabby',
  'coffeepot.jpg': 'coffeepot',
  'castle.jpg': 'castle',
  'car.jpg': 'sports_car',
  'elephant.jpg': 'African_elephant',
};

export interface SampleImage {
  file: string;
  index: number;
  label: string;
}

/** imagenet-sample-index.tsv: file, true class index, Keras label. */
export function imagenetSample(): SampleImage[] {
  const rows = readFileSync(path.join(SHARED, 'images', 'imagenet-sample-index.tsv'), 'utf8').trim().split('\n').slice(1);
  return rows.map((r) => {
    const [file, index, label] = r.split('\t');
    return { file: path.join(IMAGENET_SAMPLE, file), index: Number(index), label };
  });
}

export const readImage = (file: string): Buffer => readFileSync(file);
export const listDir = (dir: string): string[] => readdirSync(dir).sort();
