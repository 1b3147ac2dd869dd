/**
 * Reading a team's own model files (issue 17, "Serve your own model").
 *
 *   detectModelFormat(path)      -> { format: 'keras-h5'|'keras-v3'|'tfjs-layers'|'onnx', file }
 *   readKerasModel(path)         -> KerasModelSource (.h5/.hdf5 or .keras): TF.js-form artifacts
 *   readKerasH5(file), readKerasV3(file)
 *   convertKerasSource(source)   -> ConvertedModel (the project's Keras -> ONNX converter)
 *   readTfjsLayersModel(file)    -> KerasModelSource from a TF.js model.json (same checks)
 *   kerasOutputActivation(topo)  -> 'softmax' | 'none': does the final layer apply a softmax?
 *   inspectOnnxModel(file)       -> OnnxModelInfo: input name/layout/batch/size, output classes
 *
 * Every failure is a ModelSourceError (a StartupError) with a stable `code`.
 */
import { detectModelFormat } from './detect.js';
import { ModelSourceError } from './errors.js';
import { readKerasH5 } from './keras-h5.js';
import { readKerasV3 } from './keras-v3.js';
import type { KerasModelSource } from './types.js';

export { detectModelFormat } from './detect.js';
export type { DetectedModel, ModelFormat } from './detect.js';
export { ModelSourceError } from './errors.js';
export type { ModelSourceErrorCode } from './errors.js';
export { readKerasH5 } from './keras-h5.js';
export { readKerasV3 } from './keras-v3.js';
export { normaliseKerasConfig } from './keras-config.js';
export type { KerasTopology } from './keras-config.js';
export { convertKerasSource } from './convert.js';
export type { KerasModelSource } from './types.js';
export type { ImageInput } from './validate.js';
export { inspectOnnxBytes, inspectOnnxModel } from './onnx.js';
export { readTfjsLayersModel } from './tfjs.js';
export { kerasOutputActivation } from './activation.js';
export type { OnnxDim, OnnxModelInfo } from './onnx.js';

/** Read a Keras `.h5`/`.hdf5` or `.keras` file; other formats are refused with what they are. */
export async function readKerasModel(modelPath: string): Promise<KerasModelSource> {
  const { format, file } = await detectModelFormat(modelPath);
  if (format === 'keras-h5') return readKerasH5(file);
  if (format === 'keras-v3') return readKerasV3(file);
  throw new ModelSourceError('unknown_format', file, `holds format "${format}", not a Keras .h5/.keras file`);
}
