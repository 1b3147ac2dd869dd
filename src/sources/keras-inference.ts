/**
 * Layers that only act while training become the identity they are at inference. Keras' image
 * augmentation layers (often the first block of a team's classifier, as in the Keras image
 * classification tutorial) return their input unchanged unless called with training=True
 * (keras/src/layers/preprocessing/image_preprocessing/random_*.py: "only applied during
 * training"; RandomBrightness: "At inference time, the output will be identical to the input").
 * RandomCrop is not among them: at inference it crops to its target size.
 */
import { isJsonObject } from '../convert/keras/types.js';
import type { JsonObject } from '../convert/keras/types.js';
import { isModelClass } from './keras-config.js';
import type { KerasTopology } from './keras-config.js';

const TRAINING_ONLY = new Set(['RandomFlip', 'RandomRotation', 'RandomZoom', 'RandomTranslation', 'RandomContrast', 'RandomBrightness']);

/** The topology with training-only layers replaced by linear Activation layers (same name and wiring). */
export function inferenceTopology(topology: KerasTopology): KerasTopology {
  const { class_name: className, config } = topology.model_config;
  return { ...topology, model_config: { class_name: className, config: inferenceModel(config) } };
}

function inferenceModel(cfg: JsonObject): JsonObject {
  if (!Array.isArray(cfg.layers)) return cfg;
  const layers = cfg.layers.map((l) => {
    if (!isJsonObject(l) || typeof l.class_name !== 'string') return l;
    if (isModelClass(l.class_name) && isJsonObject(l.config)) return { ...l, config: inferenceModel(l.config) };
    if (!TRAINING_ONLY.has(l.class_name)) return l;
    const name = typeof l.name === 'string' ? l.name : isJsonObject(l.config) ? l.config.name ?? null : null;
    return { ...l, class_name: 'Activation', config: { name, activation: 'linear', training_only: l.class_name } };
  });
  return { ...cfg, layers };
}
