/**
 * Inline models used as layers (the usual transfer-learning shape: `base = ResNet50(include_top=
 * False); outputs = Dense(n)(base(inputs))`) so the converter sees one flat Functional graph.
 * An inner layer `conv1` of nested model `base` becomes layer `base/conv1`, and the weight readers
 * name its variables `base/conv1/kernel`, which the converter's weight store finds by exact prefix.
 * The nested model's inputs are replaced by the tensors it was called on and references to its
 * outputs by its output layers. Keras numbers a nested Functional's first call node 1 (its own
 * construction is node 0), tf.keras 2 did the same for Sequential, Keras 3 does not: since a
 * nested model must be called exactly once here, references to it ignore the node index.
 */
import { isJsonObject } from '../convert/keras/types.js';
import type { JsonObject, JsonValue } from '../convert/keras/types.js';
import { ModelSourceError } from './errors.js';
import { isModelClass } from './keras-config.js';
import type { KerasTopology } from './keras-config.js';

type Ref = [string, number, number, ...JsonValue[]];

const isRef = (v: JsonValue): v is Ref => Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'number' && typeof v[2] === 'number';
const layersOf = (cfg: JsonObject): JsonObject[] => (Array.isArray(cfg.layers) ? cfg.layers.filter(isJsonObject) : []);

export function hasNestedModels(topology: KerasTopology): boolean {
  return layersOf(topology.model_config.config).some((l) => isModelClass(l.class_name));
}

/** The topology with every nested model inlined (unchanged when there is none). */
export function flattenNestedModels(topology: KerasTopology, file: string): KerasTopology {
  if (!hasNestedModels(topology)) return topology;
  const { class_name: className, config } = topology.model_config;
  return { ...topology, model_config: { class_name: 'Functional', config: flattenModel(className, config, file) } };
}

/** Sequential -> Functional form: an InputLayer, then each layer called on the previous one. */
function asFunctional(className: string, cfg: JsonObject, file: string): JsonObject {
  if (className !== 'Sequential') return cfg;
  const layers = layersOf(cfg);
  if (layers.length === 0) throw new ModelSourceError('invalid_config', file, `Sequential model "${String(cfg.name)}" has no layers`);
  const out: JsonObject[] = [];
  let prev: string;
  if (layers[0].class_name === 'InputLayer') {
    out.push({ ...layers[0], inbound_nodes: [] });
    prev = String(layers[0].name);
  } else {
    // A nested model as the first layer carries the input shape on its own InputLayer.
    const firstLayer = isModelClass(layers[0].class_name) && isJsonObject(layers[0].config) ? (layersOf(layers[0].config)[0] ?? layers[0]) : layers[0];
    const first = isJsonObject(firstLayer.config) ? firstLayer.config : {};
    const shape = first.batch_input_shape ?? (Array.isArray(first.input_shape) ? [null, ...first.input_shape] : undefined);
    if (!shape) throw new ModelSourceError('invalid_config', file, `Sequential model "${String(cfg.name)}": first layer "${String(layers[0].name)}" has no input shape`);
    prev = `${String(layers[0].name)}_input`;
    out.push({ class_name: 'InputLayer', name: prev, config: { batch_input_shape: shape, dtype: 'float32', name: prev }, inbound_nodes: [] });
  }
  for (const l of layers.slice(layers[0].class_name === 'InputLayer' ? 1 : 0)) {
    out.push({ ...l, inbound_nodes: [[[prev, 0, 0, {}]]] });
    prev = String(l.name);
  }
  return { name: cfg.name ?? 'sequential', layers: out, input_layers: [[String(out[0].name), 0, 0]], output_layers: [[prev, 0, 0]] };
}

function flattenModel(className: string, modelCfg: JsonObject, file: string): JsonObject {
  const cfg = asFunctional(className, modelCfg, file);
  const out: JsonObject[] = [];
  const outputsOf = new Map<string, Ref[]>(); // nested model name -> its (renamed) output refs
  for (const layer of layersOf(cfg)) {
    const name = String(layer.name);
    if (!isModelClass(layer.class_name) || !isJsonObject(layer.config)) {
      out.push(layer);
      continue;
    }
    const inner = flattenModel(String(layer.class_name), layer.config, file);
    const nodes = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
    if (nodes.length !== 1 || !Array.isArray(nodes[0])) {
      throw new ModelSourceError('unsupported_config', file, `nested model "${name}" is called ${nodes.length} times; only a nested model called once can be inlined`, {
        layerName: name,
        className: String(layer.class_name),
      });
    }
    const args = nodes[0].filter(isRef);
    const innerInputs = (inner.input_layers as JsonValue[]).filter(isRef).map((r) => r[0]);
    if (args.length !== innerInputs.length) {
      throw new ModelSourceError('invalid_config', file, `nested model "${name}" takes ${innerInputs.length} inputs but is called on ${args.length}`);
    }
    const subst = new Map(innerInputs.map((n, i) => [n, args[i]]));
    const rename = (r: Ref): Ref => {
      const to = subst.get(r[0]);
      return to ? [to[0], to[1], to[2], ...r.slice(3)] : [`${name}/${r[0]}`, r[1], r[2], ...r.slice(3)];
    };
    for (const l of layersOf(inner)) {
      if (subst.has(String(l.name))) continue; // the nested InputLayer: replaced by the call's tensors
      const newName = `${name}/${String(l.name)}`;
      const inbound = Array.isArray(l.inbound_nodes) ? l.inbound_nodes : [];
      out.push({
        ...l,
        name: newName,
        config: { ...(isJsonObject(l.config) ? l.config : {}), name: newName },
        inbound_nodes: inbound.map((node) => (Array.isArray(node) ? node.filter(isRef).map(rename) : node)),
      });
    }
    outputsOf.set(name, (inner.output_layers as JsonValue[]).filter(isRef).map(rename));
  }
  // References to a nested model (from later layers or the model outputs) -> its output tensors.
  const resolve = (r: Ref): Ref => {
    const outs = outputsOf.get(r[0]);
    if (!outs) return r;
    const o = outs[r[2]];
    if (!o) throw new ModelSourceError('invalid_config', file, `reference to output ${r[2]} of nested model "${r[0]}", which has ${outs.length}`);
    return resolve([o[0], o[1], o[2], ...r.slice(3)]);
  };
  for (const l of out) {
    if (Array.isArray(l.inbound_nodes)) l.inbound_nodes = l.inbound_nodes.map((node) => (Array.isArray(node) ? node.filter(isRef).map(resolve) : node));
  }
  return {
    name: cfg.name ?? 'model',
    layers: out,
    input_layers: (cfg.input_layers as JsonValue[]).filter(isRef).map(resolve),
    output_layers: (cfg.output_layers as JsonValue[]).filter(isRef).map(resolve),
  };
}

/** Leaf (non-model) layers of a nested model: name -> {path relative to it, class}. */
export function leafLayers(modelCfg: JsonObject, prefix = ''): Map<string, { path: string; className: string }[]> {
  const out = new Map<string, { path: string; className: string }[]>();
  for (const l of layersOf(modelCfg)) {
    const name = String(l.name);
    if (isModelClass(l.class_name) && isJsonObject(l.config)) {
      for (const [k, v] of leafLayers(l.config, `${prefix}${name}/`)) out.set(k, [...(out.get(k) ?? []), ...v]);
    } else out.set(name, [...(out.get(name) ?? []), { path: `${prefix}${name}`, className: String(l.class_name) }]);
  }
  return out;
}
