/** Where the test images live: test/fixtures/images, carried by the repository (see its README). Tests and bench/ only. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURES = path.join(PROJECT, 'test', 'fixtures', 'images');
export const SMOKE = path.join(FIXTURES, 'smoke');
export const EDGE = path.join(FIXTURES, 'edge');
export const IMAGENET_SAMPLE = path.join(FIXTURES, 'imagenet-sample');

/** The six smoke photos and their expected top-1 label (see test/fixtures/images/README.md). */
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
  const rows = readFileSync(path.join(FIXTURES, 'imagenet-sample-index.tsv'), 'utf8').trim().split('\n').slice(1);
  return rows.map((r) => {
    const [file, index, label] = r.split('\t');
    return { file: path.join(IMAGENET_SAMPLE, file), index: Number(index), label };
  });
}

export const readImage = (file: string): Buffer => readFileSync(file);
export const listDir = (dir: string): string[] => readdirSync(dir).sort();
