/**
 * The served model as the v2 protocol sees it, derived from its descriptor: two alternative inputs
 * (send exactly one per request) and one output.
 *
 * - `image` BYTES [-1]: encoded images (base64 in JSON), decoded and preprocessed by the server
 *   exactly as /predict does, so clients need no knowledge of the model's preprocessing.
 * - `input` FP32 [-1, H, W, C]: rows the client preprocessed itself (NHWC, the model's own input).
 * - `probabilities` FP32 [-1, classes]; or, with the classification parameter, BYTES top-k strings.
 */
import type { EngineName } from '../../config/config.js';
import type { ModelDescriptor } from '../../model/descriptor.js';
import type { MetadataTensor, ModelMetadata } from './types.js';

export interface ModelSignature {
  name: string;
  version: string;
  image: { name: string; datatype: 'BYTES' };
  tensor: { name: string; datatype: 'FP32'; rowDims: readonly [number, number, number] };
  probabilities: { name: string; datatype: 'FP32'; classes: number };
}

export function modelSignature(d: ModelDescriptor): ModelSignature {
  return {
    name: d.name,
    version: d.version,
    image: { name: 'image', datatype: 'BYTES' },
    tensor: { name: 'input', datatype: 'FP32', rowDims: [d.input.height, d.input.width, d.input.channels] },
    probabilities: { name: 'probabilities', datatype: 'FP32', classes: d.output.classes },
  };
}

// The spec's platform names are "<project>_<format>" and informational only; ONNX has a listed name,
// TF.js has none, so it follows the same pattern.
const PLATFORMS: Record<EngineName, string> = { onnx: 'onnx_onnxv1', tfjs: 'tensorflowjs_layers' };

export function modelMetadata(s: ModelSignature, engine: EngineName): ModelMetadata {
  const inputs: MetadataTensor[] = [
    { name: s.image.name, datatype: s.image.datatype, shape: [-1] },
    { name: s.tensor.name, datatype: s.tensor.datatype, shape: [-1, ...s.tensor.rowDims] },
  ];
  const outputs: MetadataTensor[] = [{ name: s.probabilities.name, datatype: s.probabilities.datatype, shape: [-1, s.probabilities.classes] }];
  return { name: s.name, versions: [s.version], platform: PLATFORMS[engine], inputs, outputs };
}
