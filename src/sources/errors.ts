/**
 * Why a team's model file cannot be served. A start-up fault (a StartupError: the process reports
 * it in one line and exits non-zero), with a stable code so tests and callers can tell causes apart.
 */
import { StartupError } from '../errors.js';

export type ModelSourceErrorCode =
  | 'not_found' // the path does not exist
  | 'unknown_format' // not .h5/.hdf5/.keras/.onnx, model.json or a folder holding one
  | 'unreadable_file' // h5wasm or the zip reader cannot open it (truncated, corrupt, not HDF5/zip)
  | 'missing_entry' // a required part is absent (no model_config, no config.json, a weight dataset)
  | 'invalid_config' // the model config is not JSON or not a Keras model
  | 'custom_object' // a class Keras does not ship (needs custom_objects to load in Keras too)
  | 'unsupported_layer' // a Keras built-in layer the converter has no handler for
  | 'unsupported_config' // a supported layer used with settings the converter cannot express
  | 'weights_mismatch' // weights do not fit the layers (count, names, shapes)
  | 'several_inputs' // an image classifier has exactly one input
  | 'several_outputs' // ... and exactly one output
  | 'not_image_classifier'; // input not [N, H, W, 1|3] or output not [N, classes]

export class ModelSourceError extends StartupError {
  /** The Keras layer at fault, when one is. */
  readonly layerName?: string;
  readonly className?: string;

  constructor(
    readonly code: ModelSourceErrorCode,
    /** The model file or folder the error is about. */
    readonly path: string,
    message: string,
    opts: { cause?: unknown; layerName?: string; className?: string } = {},
  ) {
    super(`${path}: ${message}`, { cause: opts.cause });
    this.name = 'ModelSourceError';
    this.layerName = opts.layerName;
    this.className = opts.className;
  }
}
