/**
 * Is this Keras model an image classifier we can serve? Exactly one input `[batch, height, width,
 * channels]` with 1 or 3 channels (channels_last: Keras' default and the only layout the converter
 * reads), exactly one output. Checked on the topology, before any weight is decoded, so a wrong
 * model fails in milliseconds with the reason.
 */
import { isJsonObject } from '../convert/keras/types.js';
import type { JsonObject, JsonValue } from '../convert/keras/types.js';
import { ModelSourceError } from './errors.js';
import type { KerasTopology } from './keras-config.js';

export interface ImageInput {
  /** The Keras input layer's name (the ONNX graph input's name after conversion). */
  name: string;
  /** [batch, height, width, channels]; null = any size. */
  shape: (number | null)[];
}

export function checkImageClassifier(topology: KerasTopology, file: string): ImageInput {
  const { class_name: className, config } = topology.model_config;
  const layers = (config.layers as JsonValue[]).filter(isJsonObject);
  let inputLayer: JsonObject | undefined;
  if (className === 'Sequential') {
    inputLayer = layers[0];
  } else {
    const inputs = refs(config.input_layers);
    if (inputs.length > 1) {
      throw new ModelSourceError('several_inputs', file, `the model has ${inputs.length} inputs (${inputs.join(', ')}); an image classifier takes exactly one image input`);
    }
    const outputs = refs(config.output_layers);
    if (outputs.length > 1) {
      throw new ModelSourceError('several_outputs', file, `the model has ${outputs.length} outputs (${outputs.join(', ')}); an image classifier has exactly one class-score output`);
    }
    inputLayer = layers.find((l) => l.name === inputs[0]);
  }
  if (!inputLayer) throw new ModelSourceError('invalid_config', file, 'cannot find the model input layer');
  const name = String(inputLayer.name);
  const shape = inputShape(inputLayer.config);
  if (!shape) throw new ModelSourceError('invalid_config', file, `input layer "${name}" declares no input shape`);
  const desc = `[${shape.map((d) => (d === null ? 'None' : d)).join(', ')}]`;
  if (shape.length !== 4) {
    throw new ModelSourceError(
      'not_image_classifier',
      file,
      `input "${name}" has shape ${desc} (rank ${shape.length}); an image classifier takes rank 4 [batch, height, width, channels]`,
    );
  }
  const channels = shape[3];
  if (channels !== 1 && channels !== 3) {
    const hint = shape[1] === 1 || shape[1] === 3 ? ' (channels_first models are not supported: Keras default channels_last expected)' : '';
    throw new ModelSourceError(
      'not_image_classifier',
      file,
      `input "${name}" has shape ${desc} with ${channels ?? 'unknown'} channels; an image classifier takes 1 (grayscale) or 3 (RGB) channels last${hint}`,
    );
  }
  return { name, shape };
}

function refs(v: JsonValue | undefined): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((r) => (Array.isArray(r) && typeof r[0] === 'string' ? r[0] : '?'));
}

function inputShape(cfg: JsonValue | undefined): (number | null)[] | undefined {
  if (!isJsonObject(cfg)) return undefined;
  const dims = (v: JsonValue | undefined): (number | null)[] | undefined =>
    Array.isArray(v) && v.every((d) => d === null || typeof d === 'number') ? (v as (number | null)[]) : undefined;
  const batch = dims(cfg.batch_input_shape) ?? dims(cfg.batch_shape);
  if (batch) return batch;
  const single = dims(cfg.input_shape);
  return single ? [null, ...single] : undefined;
}
