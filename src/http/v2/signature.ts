/**
 * The served model as the Open Inference Protocol sees it, derived from its descriptor. It is
 * published under two model names, one per input form, so that every model's metadata lists
 * exactly the inputs its infer call takes (a generic client fills every listed input and succeeds):
 *
 * - `<model>` (e.g. `resnet50`): input `image` BYTES [-1], encoded images decoded and preprocessed
 *   by the server exactly as /predict does, so clients need no knowledge of the preprocessing;
 * - `<model>_tensor`: input `input` FP32 [-1, H, W, C] (or [-1, C, H, W] for an NCHW model), rows
 *   the client preprocessed itself (the model's own input), e.g. for load generators that send random tensors.
 *
 * Both give `probabilities` FP32 [-1, classes] (or, with the classification parameter, BYTES top-k
 * strings) from the same engine and the same batcher.
 */
import type { EngineName } from '../../config/config.js';
import type { ModelDescriptor } from '../../model/descriptor.js';
import type { MetadataTensor, ModelMetadata } from './types.js';

export type InputForm = 'image' | 'tensor';

/**
 * Protocol extensions, listed by GET /v2 and gRPC ServerMetadata: Triton's classification
 * (top-k strings) and binary tensor data (docs/protocol/extension_*.md in triton-inference-server/server).
 */
export const EXTENSIONS: readonly string[] = ['classification', 'binary_tensor_data'];

/** Model-name suffix of the preprocessed-tensor entry. */
export const TENSOR_MODEL_SUFFIX = '_tensor';

export interface ImageInput {
  form: 'image';
  name: string;
  datatype: 'BYTES';
}

export interface TensorInput {
  form: 'tensor';
  name: string;
  datatype: 'FP32';
  rowDims: readonly [number, number, number];
}

export interface ModelSignature {
  /** The name this entry is served under. */
  name: string;
  version: string;
  input: ImageInput | TensorInput;
  /** The entry taking the other input form, named in error messages. */
  other: { name: string; input: string };
  probabilities: { name: string; datatype: 'FP32'; classes: number };
}

/** The served model names of a model, by input form. */
export const servedNames = (model: string): Record<InputForm, string> => ({ image: model, tensor: `${model}${TENSOR_MODEL_SUFFIX}` });

const IMAGE_INPUT = 'image';
const TENSOR_INPUT = 'input';

export function modelSignature(d: ModelDescriptor, form: InputForm): ModelSignature {
  const names = servedNames(d.name);
  const input: ImageInput | TensorInput =
    form === 'image'
      ? { form, name: IMAGE_INPUT, datatype: 'BYTES' }
      : { form, name: TENSOR_INPUT, datatype: 'FP32', rowDims: d.input.layout === 'NCHW' ? [d.input.channels, d.input.height, d.input.width] : [d.input.height, d.input.width, d.input.channels] };
  const other = form === 'image' ? { name: names.tensor, input: TENSOR_INPUT } : { name: names.image, input: IMAGE_INPUT };
  return {
    name: names[form],
    version: d.version,
    input,
    other,
    probabilities: { name: 'probabilities', datatype: 'FP32', classes: d.output.classes },
  };
}

/** The input's metadata shape: -1 marks the batch. */
export const inputShape = (input: ImageInput | TensorInput): number[] => (input.form === 'image' ? [-1] : [-1, ...input.rowDims]);

// The spec's platform names are "<project>_<format>" and informational only; ONNX has a listed name,
// TF.js has none, so it follows the same pattern.
const PLATFORMS: Record<EngineName, string> = { onnx: 'onnx_onnxv1', tfjs: 'tensorflowjs_layers' };

export function modelMetadata(s: ModelSignature, engine: EngineName): ModelMetadata {
  const inputs: MetadataTensor[] = [{ name: s.input.name, datatype: s.input.datatype, shape: inputShape(s.input) }];
  const outputs: MetadataTensor[] = [{ name: s.probabilities.name, datatype: s.probabilities.datatype, shape: [-1, s.probabilities.classes] }];
  return { name: s.name, versions: [s.version], platform: PLATFORMS[engine], inputs, outputs };
}
