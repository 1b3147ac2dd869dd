import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelLabels, parseLabels } from '../../src/pipeline/labels.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'labels-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('labels files', () => {
  it('reads a JSON array, a JSON object index -> label, and text with one label a line', () => {
    expect(parseLabels('["cat", "dog", "fox"]', 'l.json')).toEqual(['cat', 'dog', 'fox']);
    expect(parseLabels('{"1": "dog", "0": "cat", "2": "fox"}', 'l.json')).toEqual(['cat', 'dog', 'fox']);
    expect(parseLabels('cat\r\ndog\n fox \n\n', 'l.txt')).toEqual(['cat', 'dog', 'fox']);
  });

  it.each([
    ['l.json', '["cat", ""]', 'labels l.json: entry 1 is not a non-empty string'],
    ['l.json', '{"0": "cat", "2": "fox"}', 'labels l.json: no label for class 1 (indices must run from 0 without gaps)'],
    ['l.json', '{"zero": "cat"}', 'labels l.json: key "zero" is not a class index (0, 1, 2, ...)'],
    ['l.json', '["cat",', /^labels l\.json: not valid JSON \(.*\); expected an array of labels or an object index -> label$/],
    ['l.txt', 'cat\n\ndog\n', 'labels l.txt: line 2 is empty (one label a line, for classes 0, 1, 2, ...)'],
  ])('%s %j is refused precisely', (file, text, message) => {
    expect(() => parseLabels(text, file)).toThrow(message);
  });

  it('a labels file beside the model (or in its model folder) is found; the count must match the classes', async () => {
    const v = path.join(dir, 'm', '1');
    await mkdir(v, { recursive: true });
    await writeFile(path.join(dir, 'm', 'labels.txt'), 'a\nb\nc\n');
    expect(await modelLabels({ dirs: [v, path.join(dir, 'm')], classes: 3, model: 'm' })).toEqual({ labels: ['a', 'b', 'c'], from: path.join(dir, 'm', 'labels.txt') });
    await writeFile(path.join(v, 'labels.json'), '["x", "y"]');
    await expect(modelLabels({ dirs: [v, path.join(dir, 'm')], classes: 3, model: 'm version 1' })).rejects.toThrow(
      `labels ${path.join(v, 'labels.json')}: 2 labels for a model with 3 output classes (m version 1); the counts must match`,
    );
    await writeFile(path.join(v, 'labels.txt'), 'x\ny\n');
    await expect(modelLabels({ dirs: [v], classes: 2, model: 'm' })).rejects.toThrow(`${v} holds both labels.json and labels.txt: keep one labels file`);
  });

  it('no labels: ImageNet for 1000 classes (carried by the product), class_<i> otherwise with a warning', async () => {
    const imagenet = await modelLabels({ dirs: [], classes: 1000, model: 'm' });
    expect(imagenet.from).toBe('imagenet');
    expect(imagenet.labels).toHaveLength(1000);
    expect([imagenet.labels[0], imagenet.labels[162], imagenet.labels[999]]).toEqual(['tench', 'beagle', 'toilet_tissue']);
    const logged: string[] = [];
    const gen = await modelLabels({ dirs: [], classes: 3, model: 'm version 2', log: (m) => logged.push(m) });
    expect(gen).toEqual({ labels: ['class_0', 'class_1', 'class_2'], from: 'generated' });
    expect(logged).toEqual(['m version 2: no labels file (LABELS, model.yaml labels:, or labels.json / labels.txt beside the model); its 3 classes are named class_0 .. class_2']);
  });
});
