/**
 * Does a classifier already end in a softmax (its outputs are probabilities), or does it output
 * logits? Read from the final layer: a Softmax layer, or a layer whose `activation` is softmax
 * (Dense(..., activation='softmax'), Activation('softmax')). Anything else counts as logits.
 */
import { isJsonObject } from '../convert/keras/types.js';
import type { JsonObject, JsonValue } from '../convert/keras/types.js';

export function kerasOutputActivation(modelTopology: unknown): 'softmax' | 'none' {
  const top = isJsonObject(modelTopology as JsonValue) ? (modelTopology as JsonObject) : undefined;
  const model = top && isJsonObject(top.model_config) ? top.model_config : top;
  const config = model && isJsonObject(model.config) ? model.config : undefined;
  const layers = config && Array.isArray(config.layers) ? config.layers.filter(isJsonObject) : [];
  const outputs = config?.output_layers;
  const ref = Array.isArray(outputs) ? (Array.isArray(outputs[0]) ? outputs[0][0] : outputs[0]) : undefined;
  const last = typeof ref === 'string' ? layers.find((l) => l.name === ref || (isJsonObject(l.config) && l.config.name === ref)) : layers[layers.length - 1];
  if (!last) return 'none';
  if (last.class_name === 'Softmax') return 'softmax';
  const cfg = isJsonObject(last.config) ? last.config : {};
  const activation = isJsonObject(cfg.activation) ? cfg.activation.config : cfg.activation;
  return activation === 'softmax' || (isJsonObject(cfg.activation) && cfg.activation.class_name === 'softmax') ? 'softmax' : 'none';
}
