/**
 * Refuse models that need the author's Python code (Keras "custom objects"): a layer class Keras
 * does not ship, a class registered under a package other than keras (`registered_name`
 * "MyPackage>MyLayer", Keras 2 `class_name` "Custom>MyLayer"), or an object serialised from a
 * non-Keras module (Keras 3 `module`: "__main__", "my_project.layers", ...). Also a subclassed
 * model (the model's own class is not Functional/Sequential).
 */
import { isJsonObject } from '../convert/keras/types.js';
import type { JsonObject, JsonValue } from '../convert/keras/types.js';
import { ModelSourceError } from './errors.js';
import { KERAS_LAYER_CLASSES } from './keras-builtins.js';

/** Why `o` (a serialised Keras object) is custom, or undefined when it is a Keras built-in. */
function customReason(o: JsonObject, isLayer: boolean): string | undefined {
  const className = typeof o.class_name === 'string' ? o.class_name : undefined;
  const registered = typeof o.registered_name === 'string' ? o.registered_name : undefined;
  const module = typeof o.module === 'string' ? o.module : undefined;
  if (registered?.includes('>') && !registered.startsWith('keras>')) return `registered as "${registered}"`;
  if (className?.includes('>') && !className.startsWith('keras>')) return `registered as "${className}"`;
  if (module !== undefined && module !== 'keras' && !module.startsWith('keras.') && module !== 'builtins') return `defined in module "${module}"`;
  if (isLayer && className !== undefined && !KERAS_LAYER_CLASSES.has(className)) return 'not a Keras built-in layer class';
  return undefined;
}

function describe(o: JsonObject): string {
  return typeof o.class_name === 'string' ? o.class_name : '(no class)';
}

/** Throws `custom_object` naming the first custom layer or nested object found. */
export function checkCustomObjects(modelConfig: JsonObject, file: string): void {
  const modelReason = customReason(modelConfig, false);
  const modelClass = describe(modelConfig);
  if (modelReason || !['Functional', 'Model', 'Sequential'].includes(modelClass)) {
    throw new ModelSourceError(
      'custom_object',
      file,
      `the model is of custom class "${modelClass}" (${modelReason ?? 'a subclassed model'}); only Functional and Sequential models can be read without their Python code`,
      { className: modelClass },
    );
  }
  checkLayers(isJsonObject(modelConfig.config) ? modelConfig.config : {}, file);
}

/** The layers of a model config, and of the models nested in it as layers. */
function checkLayers(cfg: JsonObject, file: string): void {
  const layers = Array.isArray(cfg.layers) ? cfg.layers : [];
  for (const entry of layers) {
    if (!isJsonObject(entry)) continue;
    const cls = describe(entry);
    const layerCfg = isJsonObject(entry.config) ? entry.config : {};
    const name = typeof entry.name === 'string' ? entry.name : typeof layerCfg.name === 'string' ? layerCfg.name : '(unnamed)';
    const reason = customReason(entry, true);
    if (reason) {
      throw new ModelSourceError(
        'custom_object',
        file,
        `layer "${name}" is of custom class "${cls}" (${reason}); Keras itself needs the author's code (custom_objects) to load it, so it cannot be converted`,
        { layerName: name, className: cls },
      );
    }
    if (['Functional', 'Model', 'Sequential'].includes(cls) && Array.isArray(layerCfg.layers)) {
      checkLayers(layerCfg, file);
      continue;
    }
    const nested = findNested(layerCfg, []);
    if (nested) {
      throw new ModelSourceError(
        'custom_object',
        file,
        `layer "${name}" (${cls}) uses custom object "${describe(nested.obj)}" in config "${nested.at.join('.')}" (${nested.reason})`,
        { layerName: name, className: cls },
      );
    }
  }
}

/** A custom activation, initializer, regularizer... inside a layer's config. */
function findNested(v: JsonValue, at: string[]): { obj: JsonObject; at: string[]; reason: string } | undefined {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const hit = findNested(v[i], [...at, String(i)]);
      if (hit) return hit;
    }
    return undefined;
  }
  if (!isJsonObject(v)) return undefined;
  if (typeof v.class_name === 'string' && v.class_name !== '__keras_tensor__') {
    const reason = customReason(v, false);
    if (reason) return { obj: v, at, reason };
  }
  for (const [k, x] of Object.entries(v)) {
    const hit = findNested(x, [...at, k]);
    if (hit) return hit;
  }
  return undefined;
}
