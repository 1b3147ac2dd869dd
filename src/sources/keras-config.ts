/**
 * Keras model config -> the Keras 2 / TF.js topology the converter reads
 * (`{keras_version, backend, model_config: {class_name, config: {layers, input_layers, output_layers}}}`).
 *
 * Keras 3 (`config.json` of a .keras archive, and the `model_config` Keras 3 writes into .h5)
 * differs from tf.keras 2: each object carries `module` / `registered_name` / `build_config`;
 * `inbound_nodes` is `[{args: [{class_name: '__keras_tensor__', config: {keras_history: [layer,
 * node, tensor]}}], kwargs: {}}]` instead of `[[[layer, node, tensor, {}]]]`; `dtype` may be a
 * DTypePolicy object; InputLayer has `batch_shape` instead of `batch_input_shape`; a single model
 * input/output is written as one `[layer, node, tensor]` instead of a list of them
 * (keras/src/models/functional.py get_config, keras/src/saving/serialization_lib.py).
 * A Keras 2 config comes out as it went in.
 */
import { isJsonObject } from '../convert/keras/types.js';
import type { JsonObject, JsonValue } from '../convert/keras/types.js';
import { ModelSourceError } from './errors.js';
import { checkCustomObjects } from './custom-objects.js';

export interface KerasTopology extends JsonObject {
  model_config: { class_name: string; config: JsonObject };
}

type TensorRef = [string, number, number];

const MODEL_CLASSES = new Set(['Functional', 'Model', 'Sequential']);

/** `modelConfig` is `{class_name, config, ...}` as found in .h5 `model_config` or .keras `config.json`. */
export function normaliseKerasConfig(
  modelConfig: unknown,
  file: string,
  meta: { kerasVersion?: string; backend?: string } = {},
): KerasTopology {
  if (!isJsonObject(modelConfig) || typeof modelConfig.class_name !== 'string' || !isJsonObject(modelConfig.config)) {
    throw new ModelSourceError('invalid_config', file, 'model config is not a Keras model ({class_name, config} object expected)');
  }
  checkCustomObjects(modelConfig, file);
  const className = modelConfig.class_name;
  if (!MODEL_CLASSES.has(className)) {
    throw new ModelSourceError('invalid_config', file, `model class "${className}" is not Functional, Model or Sequential`);
  }
  const config = normaliseModel(className, modelConfig.config, file);
  const out: KerasTopology = { model_config: { class_name: className, config } };
  if (meta.kerasVersion) out.keras_version = meta.kerasVersion;
  if (meta.backend) out.backend = meta.backend;
  return out;
}

/** A Functional/Sequential model's config (the top model, or one nested as a layer). */
function normaliseModel(className: string, cfg: JsonObject, file: string): JsonObject {
  if (!Array.isArray(cfg.layers)) throw new ModelSourceError('invalid_config', file, `${className} model config has no layers list`);
  const sequential = className === 'Sequential';
  const config: JsonObject = {
    name: typeof cfg.name === 'string' ? cfg.name : sequential ? 'sequential' : 'model',
    layers: cfg.layers.map((l) => normaliseLayer(l, sequential, file)),
  };
  if (!sequential) {
    config.input_layers = refList(cfg.input_layers, 'input_layers', file);
    config.output_layers = refList(cfg.output_layers, 'output_layers', file);
  }
  return config;
}

export function isModelClass(className: unknown): boolean {
  return typeof className === 'string' && MODEL_CLASSES.has(className);
}

function normaliseLayer(entry: JsonValue, sequential: boolean, file: string): JsonObject {
  if (!isJsonObject(entry) || typeof entry.class_name !== 'string' || !isJsonObject(entry.config)) {
    throw new ModelSourceError('invalid_config', file, `layer entry is not {class_name, config}: ${JSON.stringify(entry).slice(0, 160)}`);
  }
  // A model used as a layer (transfer learning: a keras.applications base inside a classifier).
  const config = isModelClass(entry.class_name) ? normaliseModel(entry.class_name, entry.config, file) : simplifyObject(entry.config);
  const name = typeof entry.name === 'string' ? entry.name : typeof config.name === 'string' ? config.name : undefined;
  if (!name) throw new ModelSourceError('invalid_config', file, `a ${entry.class_name} layer has no name`);
  config.name = name;
  if (config.batch_shape !== undefined && config.batch_input_shape === undefined) {
    config.batch_input_shape = config.batch_shape;
    delete config.batch_shape;
  }
  const layer: JsonObject = { class_name: entry.class_name, name, config };
  if (!sequential) {
    const nodes = Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
    layer.inbound_nodes = nodes.map((n) => normaliseNode(n, name, file));
  }
  return layer;
}

/** A Keras 3 node `{args, kwargs}` -> the Keras 2 list `[[layer, node, tensor, {}], ...]`. */
function normaliseNode(node: JsonValue, layer: string, file: string): JsonValue {
  if (Array.isArray(node)) return node; // already Keras 2
  if (!isJsonObject(node) || !Array.isArray(node.args)) {
    throw new ModelSourceError('invalid_config', file, `layer "${layer}": cannot read inbound node ${JSON.stringify(node).slice(0, 160)}`);
  }
  const refs: TensorRef[] = [];
  collectKerasTensors(node.args, refs);
  const fromKwargs: TensorRef[] = [];
  if (node.kwargs !== undefined) collectKerasTensors(node.kwargs, fromKwargs);
  if (fromKwargs.length > 0) {
    throw new ModelSourceError('unsupported_config', file, `layer "${layer}" receives tensors as keyword arguments (${fromKwargs.map((r) => r[0]).join(', ')}); not supported`, {
      layerName: layer,
    });
  }
  return refs.map((r) => [...r, {}]);
}

function collectKerasTensors(v: JsonValue, out: TensorRef[]): void {
  if (Array.isArray(v)) v.forEach((x) => collectKerasTensors(x, out));
  else if (isJsonObject(v)) {
    if (v.class_name === '__keras_tensor__' && isJsonObject(v.config) && isRef(v.config.keras_history)) out.push(v.config.keras_history);
    else Object.values(v).forEach((x) => collectKerasTensors(x, out));
  }
}

function isRef(v: JsonValue | undefined): v is TensorRef {
  return Array.isArray(v) && v.length >= 3 && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number';
}

/** `input_layers` / `output_layers`: one ref, a list of refs, or refs nested in a dict (named inputs). */
function refList(v: JsonValue | undefined, what: string, file: string): JsonValue {
  const refs: TensorRef[] = [];
  const walk = (x: JsonValue): void => {
    if (isRef(x)) refs.push([x[0], x[1], x[2]]);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (isJsonObject(x)) Object.values(x).forEach(walk);
  };
  if (v !== undefined) walk(v);
  if (refs.length === 0) throw new ModelSourceError('invalid_config', file, `functional model config has no ${what}`);
  return refs;
}

/**
 * Keras 3 serialised values -> Keras 2 form: a DTypePolicy becomes its name, a serialised
 * function its name, any other serialised object `{class_name, config}`.
 */
function simplify(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(simplify);
  if (!isJsonObject(v)) return v;
  if (typeof v.class_name === 'string' && 'config' in v) {
    const inner = v.config;
    if (v.class_name.endsWith('DTypePolicy') && isJsonObject(inner) && typeof inner.name === 'string') return inner.name;
    if (v.class_name === 'function' && typeof inner === 'string') return inner;
    if ('module' in v || 'registered_name' in v) {
      return { class_name: v.class_name, config: isJsonObject(inner) ? simplifyObject(inner) : simplify(inner ?? null) };
    }
  }
  return simplifyObject(v);
}

function simplifyObject(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(o)) out[k] = simplify(x);
  return out;
}
