/** int8 quantization plan: being implemented (issue 8); this file is replaced by the quantizer. */
import type { LayersModelArtifacts } from '../convert/index.js';
import { StartupError } from '../errors.js';

export interface QuantizationPlan {
  /** How activation ranges are calibrated, e.g. `data-free-bn` or `minmax`. */
  method: string;
  /** Stable identity of method, parameters and calibration data: part of the ONNX cache key. */
  fingerprint: string;
}

export async function resolveQuantizationPlan(setting: string): Promise<QuantizationPlan> {
  throw new StartupError(`MODEL_PRECISION=int8 is not available yet (calibration ${setting})`);
}

export async function quantizedModelBytes(_artifacts: LayersModelArtifacts, _plan: QuantizationPlan): Promise<Uint8Array> {
  throw new StartupError('MODEL_PRECISION=int8 is not available yet');
}
