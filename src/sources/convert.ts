/**
 * A Keras model source -> ONNX with the project's converter. Converter failures become
 * ModelSourceErrors naming the file (and the layer and class, for an unsupported layer), and the
 * result must be a classifier: one output `[batch, classes]`.
 */
import { convertLayersModel, ConversionError, UnsupportedConfigError, UnsupportedLayerError, WeightError } from '../convert/index.js';
import type { ConvertedModel, ConvertOptions } from '../convert/index.js';
import { ModelSourceError } from './errors.js';
import type { KerasModelSource } from './types.js';

export function convertKerasSource(source: KerasModelSource, options: ConvertOptions = {}): ConvertedModel {
  let converted: ConvertedModel;
  try {
    converted = convertLayersModel(source.artifacts, options);
  } catch (err) {
    throw toSourceError(err, source.file);
  }
  const shape = converted.outputShape;
  if (converted.outputs.length !== 1 || shape.length !== 2) {
    throw new ModelSourceError(
      'not_image_classifier',
      source.file,
      `output "${converted.outputName}" has shape [${shape.join(', ')}]; an image classifier outputs [batch, classes]`,
    );
  }
  return converted;
}

export function toSourceError(err: unknown, file: string): unknown {
  if (err instanceof UnsupportedLayerError) {
    return new ModelSourceError(
      'unsupported_layer',
      file,
      `${err.message}: the Keras -> ONNX converter has no handler for it (export the model to ONNX instead)`,
      { cause: err, layerName: err.layerName, className: err.className },
    );
  }
  if (err instanceof UnsupportedConfigError) {
    return new ModelSourceError('unsupported_config', file, err.message, { cause: err, layerName: err.layerName, className: err.className });
  }
  if (err instanceof WeightError) return new ModelSourceError('weights_mismatch', file, err.message, { cause: err });
  if (err instanceof ConversionError) return new ModelSourceError('invalid_config', file, err.message, { cause: err });
  return err;
}
