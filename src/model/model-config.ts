/**
 * A model folder's `model.yaml`, in either of its two forms:
 *   - with a `source:` section: the npm-fetched TF.js model (the built-in ResNet50), strict as ever;
 *   - without: settings for the model files in the version folders, every field optional (a file
 *     holding only `preprocess: torch` is enough). Shorthands `preprocess`, `labels`, `output`,
 *     `precision`; `batching` and `input: {height, width}` as in the full form; `preprocessing` in
 *     full for a normalisation none of the presets gives.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { OUTPUT_KINDS, PRECISIONS, PREPROCESS_PRESETS, type OutputKind, type Precision, type PreprocessPreset } from '../config/config.js';
import { StartupError } from '../errors.js';
import { npmDescriptor, parseBatching, parsePreprocessing, parseYamlText, type Batching, type NpmModelDescriptor, type Preprocessing } from './descriptor.js';
import { Reader } from './yaml-reader.js';

export interface FileModelConfig {
  /** The model.yaml it was read from. */
  file: string;
  /** A `name:` it declares (must be the model's name). */
  name?: string;
  description?: string;
  preprocess?: PreprocessPreset;
  /** A full normalisation (and resize), when no preset fits. */
  preprocessing?: Preprocessing;
  /** Labels file, absolute (relative paths are relative to the model.yaml's folder). */
  labels?: string;
  output?: OutputKind;
  precision?: Precision;
  batching?: Batching;
  input?: { height?: number; width?: number };
}

export type ModelYaml = { kind: 'npm'; descriptor: NpmModelDescriptor } | { kind: 'file'; config: FileModelConfig };

const FILE_KEYS = ['name', 'description', 'preprocess', 'preprocessing', 'labels', 'output', 'precision', 'batching', 'input'] as const;

export function parseModelYaml(text: string, file: string): ModelYaml {
  const r = new Reader(file);
  const doc = parseYamlText(text, file);
  if (doc === null || doc === undefined) return { kind: 'file', config: { file } }; // an empty file
  const d = r.obj(doc, '(root)');
  if (d.source !== undefined) return { kind: 'npm', descriptor: npmDescriptor(r, d) };
  r.only(d, '(root)', FILE_KEYS);
  const config: FileModelConfig = { file };
  if (d.name !== undefined) config.name = r.str(d.name, 'name');
  if (d.description !== undefined) config.description = r.str(d.description, 'description');
  if (d.preprocess !== undefined) config.preprocess = r.oneOf(d.preprocess, 'preprocess', PREPROCESS_PRESETS);
  if (d.preprocessing !== undefined) {
    if (config.preprocess) r.fail('preprocessing', 'absent when "preprocess" names a preset (give one or the other)');
    config.preprocessing = parsePreprocessing(r, d.preprocessing, undefined);
  }
  if (d.labels !== undefined) config.labels = path.resolve(path.dirname(file), r.str(d.labels, 'labels'));
  if (d.output !== undefined) config.output = r.oneOf(d.output, 'output', OUTPUT_KINDS);
  if (d.precision !== undefined) config.precision = r.oneOf(d.precision, 'precision', PRECISIONS);
  if (d.batching !== undefined) config.batching = parseBatching(r, d.batching);
  if (d.input !== undefined) {
    const input = r.obj(d.input, 'input');
    r.only(input, 'input', ['height', 'width']);
    config.input = {
      ...(input.height !== undefined ? { height: r.int(input.height, 'input.height', { min: 1, max: 8192 }) } : {}),
      ...(input.width !== undefined ? { width: r.int(input.width, 'input.width', { min: 1, max: 8192 }) } : {}),
    };
  }
  return { kind: 'file', config };
}

/** Reads and parses `file`; undefined when there is none. A `name:` in it must be `expectedName`. */
export async function readModelYaml(file: string, expectedName: string): Promise<ModelYaml | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new StartupError(`cannot read model descriptor ${file}: ${code ?? String(err)}`);
  }
  const parsed = parseModelYaml(text, file);
  const own = parsed.kind === 'npm' ? parsed.descriptor.name : parsed.config.name;
  if (own !== undefined && own !== expectedName) throw new StartupError(`model descriptor ${file}: name "${own}" does not match the model's name "${expectedName}" (its folder, or MODEL_NAME)`);
  return parsed;
}
