/**
 * Which file in a folder is the model: by extension (.h5/.hdf5 Keras HDF5, .keras Keras 3 archive,
 * .onnx), a `model.json` (TF.js layers), or a subfolder holding a model.json. Names only (one
 * readdir, a stat per subfolder): a rescan must stay cheap.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelFormat } from '../sources/index.js';

export interface FoundModelFile {
  format: ModelFormat;
  /** The file to read: for TF.js, the model.json. */
  file: string;
}

const BY_EXTENSION: Record<string, ModelFormat> = { '.h5': 'keras-h5', '.hdf5': 'keras-h5', '.keras': 'keras-v3', '.onnx': 'onnx' };

export const LABEL_FILES = ['labels.json', 'labels.txt'] as const;

/** The model files directly in `dir` (and TF.js model folders in it); `subfolders`: look into them too. */
export async function modelFilesIn(dir: string, subfolders: boolean): Promise<FoundModelFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const found: FoundModelFile[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!subfolders) continue;
      const inner = path.join(full, 'model.json');
      if (await stat(inner).then((s) => s.isFile(), () => false)) found.push({ format: 'tfjs-layers', file: inner });
      continue;
    }
    if (e.name.toLowerCase() === 'model.json') found.push({ format: 'tfjs-layers', file: full });
    const format = BY_EXTENSION[path.extname(e.name).toLowerCase()];
    if (format) found.push({ format, file: full });
  }
  return found;
}

/** The format of one model path given directly (MODEL_PATH as a file), by its name. */
export function formatOfFile(file: string): ModelFormat | undefined {
  if (path.basename(file).toLowerCase() === 'model.json') return 'tfjs-layers';
  return BY_EXTENSION[path.extname(file).toLowerCase()];
}

/** Names of `dir`'s model files, for an error message. */
export const describeFiles = (dir: string, files: readonly FoundModelFile[]): string => files.map((f) => path.relative(dir, f.file)).join(', ');
