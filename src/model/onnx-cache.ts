/** Placeholder until the converter lands: the ONNX engine needs a converted model. */
import type { Precision } from '../config/config.js';
import { StartupError } from '../errors.js';
import type { ModelDescriptor } from './descriptor.js';

export async function ensureOnnxModel(
  _d: ModelDescriptor,
  _sourceDir: string,
  _precision: Precision,
  _log?: (msg: string) => void,
): Promise<{ path: string; seconds: number }> {
  throw new StartupError('the ONNX engine is not available yet; set ENGINE=tfjs');
}
