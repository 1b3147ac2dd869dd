/**
 * The models to serve, as Triton lays out a model repository: `<repository>/<model>/<version>/
 * <model file>` (versions are positive integers) with an optional `<model>/model.yaml`, or the one
 * npm-sourced model a `model.yaml` with `source:` describes (the built-in ResNet50). MODEL_PATH
 * serves one model instead: a file, a TF.js folder, a folder holding one model file, or a folder of
 * version folders. Cheap (readdir, stat, model.yaml): it runs again on every rescan; a bad model
 * folder is reported on its entry, not thrown, so the others keep serving.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { MODEL_NAME_PATTERN } from '../config/parse.js';
import type { NpmModelDescriptor } from '../model/descriptor.js';
import { readModelYaml, type FileModelConfig } from '../model/model-config.js';
import type { ModelFormat } from '../sources/index.js';
import { describeFiles, formatOfFile, modelFilesIn } from './model-files.js';
import type { ModelSettings } from './prepared.js';

export type VersionSource =
  | { kind: 'npm'; descriptor: NpmModelDescriptor }
  | {
      kind: 'file';
      format: ModelFormat;
      /** The model file (TF.js: its model.json). */
      file: string;
      /** Where a labels.json / labels.txt may sit beside it. */
      labelsDirs: string[];
      /** model.yaml (and, for MODEL_PATH, the PREPROCESS / LABELS / OUTPUT settings over it). */
      config: FileModelConfig;
    };

export interface VersionEntry {
  name: string;
  /** "1", "2", ... (a numeric string); an npm-sourced model: its descriptor's version. */
  version: string;
  /** What serves it, for logs and the repository index: a file path or an npm spec. */
  location: string;
  source: VersionSource;
}

export interface ModelEntry {
  name: string;
  /** Ascending numerically. With `error` set, the versions that are fine (maybe none). */
  versions: VersionEntry[];
  /** Why (part of) the model folder cannot be served: unreadable folder, bad model.yaml, bad version folder. */
  error?: string;
}

const VERSION = /^[1-9][0-9]*$/;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function scanRepository(s: ModelSettings): Promise<ModelEntry[]> {
  if (s.modelPath !== undefined) return [await scanModelPath(s, s.modelPath)];
  const root = s.modelRepository;
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (err) {
    return [{ name: path.basename(root), versions: [], error: `cannot read MODEL_REPOSITORY ${root}: ${(err as NodeJS.ErrnoException).code ?? message(err)}` }];
  }
  const cache = await realpath(s.modelCacheDir).catch(() => path.resolve(s.modelCacheDir));
  const out: ModelEntry[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dir = path.join(root, e.name);
    if (dir === path.resolve(s.modelCacheDir) || (await realpath(dir).catch(() => dir)) === cache) continue;
    const entry = await scanModelFolder(dir, e.name, { fromSettings: undefined, skipNonModels: true });
    if (entry) out.push(entry);
  }
  return out;
}

/** MODEL_PATH: one model, named MODEL_NAME (by default after the path, see config). */
async function scanModelPath(s: ModelSettings, modelPath: string): Promise<ModelEntry> {
  const name = s.modelName;
  const fromSettings = { preprocess: s.preprocess, labels: s.labels, output: s.output };
  const info = await stat(modelPath).catch((err: NodeJS.ErrnoException) => err);
  if (info instanceof Error) return { name, versions: [], error: `MODEL_PATH ${modelPath}: cannot read it (${info.code ?? info.message})` };
  if (info.isDirectory()) {
    const entry = await scanModelFolder(modelPath, name, { fromSettings, skipNonModels: false });
    return entry ?? { name, versions: [], error: `MODEL_PATH ${modelPath}: holds no model` };
  }
  const format = formatOfFile(modelPath);
  if (!format) {
    return { name, versions: [], error: `MODEL_PATH ${modelPath}: unknown model format; give a .h5/.hdf5 (Keras HDF5), .keras (Keras 3), model.json (TF.js layers) or .onnx file, or a folder holding one` };
  }
  const config = withSettings({ file: '(none)' }, fromSettings);
  return { name, versions: [fileVersion(name, '1', format, modelPath, [path.dirname(modelPath)], config)] };
}

type Overrides = Pick<ModelSettings, 'preprocess' | 'labels' | 'output'>;

function withSettings(config: FileModelConfig, o: Overrides | undefined): FileModelConfig {
  if (!o) return config;
  const out = { ...config };
  if (o.preprocess) {
    out.preprocess = o.preprocess;
    delete out.preprocessing;
  }
  if (o.labels) out.labels = o.labels;
  if (o.output) out.output = o.output;
  return out;
}

function fileVersion(name: string, version: string, format: ModelFormat, file: string, labelsDirs: string[], config: FileModelConfig): VersionEntry {
  return { name, version, location: file, source: { kind: 'file', format, file, labelsDirs, config } };
}

/**
 * A model folder: npm model.yaml, version folders, or (MODEL_PATH only) a TF.js folder or a folder
 * holding one model file. Undefined: not a model folder (skipped in a repository).
 */
async function scanModelFolder(dir: string, name: string, opts: { fromSettings: Overrides | undefined; skipNonModels: boolean }): Promise<ModelEntry | undefined> {
  const fail = (error: string, versions: VersionEntry[] = []): ModelEntry => ({ name, versions, error });
  if (!MODEL_NAME_PATTERN.test(name)) return fail(`model folder ${dir}: "${name}" is not a usable model name (letters, digits, "_", "." and "-")`);
  let children;
  try {
    children = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    return fail(`cannot read model folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? message(err)}`);
  }
  const yamlFile = path.join(dir, 'model.yaml');
  let yaml;
  try {
    yaml = await readModelYaml(yamlFile, name);
  } catch (err) {
    return fail(message(err));
  }
  const folders = children.filter((c) => c.isDirectory() && !c.name.startsWith('.')).map((c) => c.name);
  const numeric = folders.filter((f) => VERSION.test(f));
  if (yaml?.kind === 'npm') {
    if (numeric.length > 0) return fail(`model folder ${dir}: model.yaml has a source: (an npm model) and there are version folders too (${numeric.join(', ')}); keep one or the other`);
    const d = yaml.descriptor;
    return { name, versions: [{ name, version: d.version, location: d.source.npm, source: { kind: 'npm', descriptor: d } }] };
  }
  const config = withSettings(yaml?.config ?? { file: '(none)' }, opts.fromSettings);
  if (numeric.length === 0 && !opts.skipNonModels) {
    // MODEL_PATH as a folder: a TF.js model, or exactly one model file at its top.
    const files = await modelFilesIn(dir, false);
    if (files.length === 1) return { name, versions: [fileVersion(name, '1', files[0].format, files[0].file, [dir], config)] };
    if (files.length === 0) return fail(`model folder ${dir} holds no model file (.h5, .hdf5, .keras, .onnx, model.json) and no version folder (1, 2, ...)`);
    return fail(`model folder ${dir} holds ${files.length} model files (${describeFiles(dir, files)}); serve one: keep one, or put each in a version folder (1, 2, ...)`);
  }
  if (numeric.length === 0) {
    if (yaml === undefined) return undefined; // not a model folder: no model.yaml, no version folder
    return fail(`model folder ${dir} has a model.yaml but no version folder (1, 2, ...) holding a model file`);
  }
  const errors: string[] = [];
  const others = folders.filter((f) => !VERSION.test(f));
  if (others.length > 0) errors.push(`model folder ${dir}: ${others.map((f) => `"${f}"`).join(', ')} ${others.length > 1 ? 'are not version folders' : 'is not a version folder'} (positive integers: 1, 2, ...)`);
  const versions: VersionEntry[] = [];
  for (const v of numeric.sort((a, b) => Number(a) - Number(b))) {
    const vdir = path.join(dir, v);
    const files = await modelFilesIn(vdir, true).catch((err: unknown) => err as Error);
    if (files instanceof Error) errors.push(`cannot read version folder ${vdir}: ${(files as NodeJS.ErrnoException).code ?? files.message}`);
    else if (files.length === 0) errors.push(`version folder ${vdir} holds no model file (.h5, .hdf5, .keras, .onnx, model.json or a TF.js folder)`);
    else if (files.length > 1) errors.push(`version folder ${vdir} holds ${files.length} model files (${describeFiles(vdir, files)}); a version serves exactly one`);
    else versions.push(fileVersion(name, v, files[0].format, files[0].file, [vdir, dir], config));
  }
  return errors.length > 0 ? fail(errors.join('; '), versions) : { name, versions };
}
