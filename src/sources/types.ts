import type { LayersModelArtifacts } from '../convert/index.js';
import type { ImageInput } from './validate.js';

/** A Keras model read from a team's file (.h5, .keras, or a TF.js layers model.json), ready for convertLayersModel. */
export interface KerasModelSource {
  format: 'keras-h5' | 'keras-v3' | 'tfjs-layers';
  file: string;
  /** Keras version and backend that wrote the file, when it says. */
  kerasVersion?: string;
  backend?: string;
  /** The single image input, checked: [batch, height, width, 1|3]. */
  input: ImageInput;
  /** modelTopology in Keras 2 / TF.js form; weights named `<layer>/<variable>` as TF.js names them. */
  artifacts: Required<LayersModelArtifacts>;
}
