/**
 * Which kind of model a path holds, from its name (and, for a folder, the model.json in it).
 * The extension decides, as Keras' own `load_model` does (`.keras` archive, `.h5`/`.hdf5` legacy
 * HDF5); the readers then fail precisely when the content does not match.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelSourceError } from './errors.js';

export type ModelFormat = 'keras-h5' | 'keras-v3' | 'tfjs-layers' | 'onnx';

export interface DetectedModel {
  format: ModelFormat;
  /** The file to read: for a TF.js folder, its model.json. */
  file: string;
}

const BY_EXTENSION: Record<string, ModelFormat> = {
  '.h5': 'keras-h5',
  '.hdf5': 'keras-h5',
  '.keras': 'keras-v3',
  '.onnx': 'onnx',
};

const ACCEPTED = '.h5/.hdf5 (Keras HDF5), .keras (Keras 3 archive), model.json or a folder holding one (TF.js layers model), .onnx';

export async function detectModelFormat(modelPath: string): Promise<DetectedModel> {
  const abs = path.resolve(modelPath);
  const info = await stat(abs).catch((err: NodeJS.ErrnoException) => {
    throw new ModelSourceError('not_found', abs, `cannot read model path (${err.code ?? err.message})`, { cause: err });
  });
  if (info.isDirectory()) {
    const modelJson = path.join(abs, 'model.json');
    const inner = await stat(modelJson).catch(() => undefined);
    if (inner?.isFile()) return { format: 'tfjs-layers', file: modelJson };
    throw new ModelSourceError('unknown_format', abs, `folder holds no model.json; a model path must be ${ACCEPTED}`);
  }
  const base = path.basename(abs).toLowerCase();
  if (base.endsWith('.json')) {
    if (base === 'model.json') return { format: 'tfjs-layers', file: abs };
    throw new ModelSourceError('unknown_format', abs, `a TF.js layers model is read from a file named model.json, not "${path.basename(abs)}"`);
  }
  const format = BY_EXTENSION[path.extname(base)];
  if (format) return { format, file: abs };
  const ext = path.extname(base) || '(no extension)';
  throw new ModelSourceError('unknown_format', abs, `unknown model format ${ext}; a model path must be ${ACCEPTED}`);
}
