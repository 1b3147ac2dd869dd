/**
 * A model's class labels: the configured file (LABELS, model.yaml `labels`), else a labels.json /
 * labels.txt beside the model file (or in its model folder), else the ImageNet labels for a
 * 1000-class model, else `class_0`, `class_1`, ... with a warning. A file is a JSON array, a JSON
 * object index -> label, or text with one label a line; its count must be the model's class count.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/config.js';
import { StartupError } from '../errors.js';
import { LABEL_FILES } from './model-files.js';

/** The ImageNet-1k class names, carried by the product (a trimmed image has no npm tarball). */
export const IMAGENET_LABELS_FILE = path.join(PROJECT_ROOT, 'models', 'imagenet-labels.json');

export interface ModelLabels {
  labels: string[];
  /** The file they came from, or `imagenet` / `generated`. */
  from: string;
}

/** Parses a labels file's text (see the module comment); `file` names it in errors. */
export function parseLabels(text: string, file: string): string[] {
  const fail = (why: string): never => {
    throw new StartupError(`labels ${file}: ${why}`);
  };
  const trimmed = text.trim();
  if (file.toLowerCase().endsWith('.json') || trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      return fail(`not valid JSON (${(err as Error).message}); expected an array of labels or an object index -> label`);
    }
    if (Array.isArray(parsed)) {
      const bad = parsed.findIndex((l) => (typeof l !== 'string' && typeof l !== 'number') || String(l).trim() === '');
      if (bad >= 0) fail(`entry ${bad} is not a non-empty string`);
      return parsed.map((l) => String(l));
    }
    if (typeof parsed !== 'object' || parsed === null) return fail('expected a JSON array of labels or an object index -> label');
    const entries = Object.entries(parsed as Record<string, unknown>);
    const labels: string[] = [];
    for (const [k, v] of entries) {
      if (!/^(0|[1-9][0-9]*)$/.test(k)) fail(`key "${k}" is not a class index (0, 1, 2, ...)`);
      if ((typeof v !== 'string' && typeof v !== 'number') || String(v).trim() === '') fail(`label of class ${k} is not a non-empty string`);
      labels[Number(k)] = String(v);
    }
    const missing = Array.from({ length: labels.length }, (_, i) => i).find((i) => labels[i] === undefined);
    if (missing !== undefined) fail(`no label for class ${missing} (indices must run from 0 without gaps)`);
    return labels;
  }
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const empty = lines.findIndex((l) => l.trim() === '');
  if (empty >= 0) fail(`line ${empty + 1} is empty (one label a line, for classes 0, 1, 2, ...)`);
  return lines.map((l) => l.trim());
}

export async function readLabelsFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StartupError(`labels ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseLabels(text, file);
}

async function besideModel(dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const present: string[] = [];
    for (const name of LABEL_FILES) if (await stat(path.join(dir, name)).then((s) => s.isFile(), () => false)) present.push(name);
    if (present.length > 1) throw new StartupError(`${dir} holds both ${present.join(' and ')}: keep one labels file`);
    if (present.length === 1) return path.join(dir, present[0]);
  }
  return undefined;
}

export async function modelLabels(opts: { configured?: string; dirs: readonly string[]; classes: number; model: string; log?: (msg: string) => void }): Promise<ModelLabels> {
  const file = opts.configured ?? (await besideModel(opts.dirs));
  if (file) {
    const labels = await readLabelsFile(file);
    if (labels.length !== opts.classes) {
      throw new StartupError(`labels ${file}: ${labels.length} labels for a model with ${opts.classes} output classes (${opts.model}); the counts must match`);
    }
    return { labels, from: file };
  }
  if (opts.classes === 1000) {
    const doc = JSON.parse(await readFile(IMAGENET_LABELS_FILE, 'utf8')) as { labels: string[] };
    return { labels: doc.labels, from: 'imagenet' };
  }
  opts.log?.(`${opts.model}: no labels file (LABELS, model.yaml labels:, or labels.json / labels.txt beside the model); its ${opts.classes} classes are named class_0 .. class_${opts.classes - 1}`);
  return { labels: Array.from({ length: opts.classes }, (_, i) => `class_${i}`), from: 'generated' };
}
