import { TopologyError } from '../errors.js';
import { isJsonObject, tensorKeyId } from './types.js';
import type { JsonObject, JsonValue, KerasLayer, LayerCall, ParsedModel, TensorKey } from './types.js';

/**
 * Parse the Keras model JSON of a TF.js layers model into layer calls in
 * topological order. Accepts `{keras_version, backend, model_config}` or the
 * bare model config; `Sequential` and `Model`/`Functional` class names; the
 * old inbound-node list format (`[[["name", 0, 0, {}]]]`) and the newer
 * Keras 3 dict format (`[{args: [{class_name: '__keras_tensor__', ...}]}]`).
 */
export function parseKerasModel(modelTopology: unknown): ParsedModel {
  let top: unknown = modelTopology;
  if (typeof top === 'string') top = JSON.parse(top);
  if (top instanceof ArrayBuffer) throw new TopologyError('modelTopology is binary: this is a TF.js graph model, not a layers model');
  if (!isJsonObject(top)) throw new TopologyError('modelTopology is missing or not a JSON object');
  const modelConfig = isJsonObject(top.model_config) ? top.model_config : top;
  const kerasVersion = str(top.keras_version) ?? str(modelConfig.keras_version);
  const backend = str(top.backend) ?? str(modelConfig.backend);
  const className = str(modelConfig.class_name);
  const config = modelConfig.config;
  let parsed: Omit<ParsedModel, 'kerasVersion' | 'backend'>;
  if (className === 'Sequential') parsed = parseSequential(config ?? null);
  else if (className === 'Model' || className === 'Functional') {
    if (!isJsonObject(config)) throw new TopologyError(`${className} model has no config object`);
    parsed = parseFunctional(config);
  } else throw new TopologyError(`unsupported model class "${className ?? '(none)'}" (expected Sequential, Model or Functional)`);
  return { ...parsed, kerasVersion, backend };
}

function str(v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function toLayer(v: JsonValue): KerasLayer {
  if (!isJsonObject(v)) throw new TopologyError('layer entry is not an object');
  const config = isJsonObject(v.config) ? v.config : {};
  const name = str(v.name) ?? str(config.name);
  const className = str(v.class_name);
  if (!name || !className) throw new TopologyError(`layer entry without name or class_name: ${JSON.stringify(v).slice(0, 200)}`);
  return { name, className, config };
}

function parseSequential(config: JsonValue): Omit<ParsedModel, 'kerasVersion' | 'backend'> {
  const entries = Array.isArray(config) ? config : isJsonObject(config) && Array.isArray(config.layers) ? config.layers : null;
  if (!entries || entries.length === 0) throw new TopologyError('Sequential model has no layers');
  const name = (isJsonObject(config) && str(config.name)) || 'sequential';
  const layers = entries.map(toLayer);
  let input: KerasLayer;
  if (layers[0].className === 'InputLayer') input = layers.shift() as KerasLayer;
  else {
    // Keras/tfjs build the implicit input from the first layer's batch shape.
    const first = layers[0].config;
    const inputShape = first.input_shape;
    const batchShape =
      first.batch_input_shape ?? first.batch_shape ?? (Array.isArray(inputShape) ? [null, ...inputShape] : undefined);
    if (!Array.isArray(batchShape)) throw new TopologyError(`Sequential model: first layer "${layers[0].name}" has no input shape`);
    const inputName = `${layers[0].name}_input`;
    input = { name: inputName, className: 'InputLayer', config: { batch_input_shape: batchShape, dtype: first.dtype ?? 'float32', name: inputName } };
  }
  const calls: LayerCall[] = [{ layer: input, nodeIndex: 0, inputs: [] }];
  let prev: TensorKey = { layer: input.name, node: 0, tensor: 0 };
  for (const layer of layers) {
    calls.push({ layer, nodeIndex: 0, inputs: [prev] });
    prev = { layer: layer.name, node: 0, tensor: 0 };
  }
  return { name, inputs: [{ layer: input.name, node: 0, tensor: 0 }], outputs: [prev], calls };
}

function parseFunctional(config: JsonObject): Omit<ParsedModel, 'kerasVersion' | 'backend'> {
  if (!Array.isArray(config.layers)) throw new TopologyError('functional model config has no layers array');
  const callById = new Map<string, LayerCall>();
  for (const entry of config.layers) {
    const layer = toLayer(entry);
    const inbound = isJsonObject(entry) && Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
    // InputLayer (or an unused layer) has no inbound node; its own node is index 0.
    const nodes = inbound.length > 0 ? inbound.map(parseInboundNode) : [[]];
    nodes.forEach((inputs, nodeIndex) => callById.set(`${layer.name}:${nodeIndex}`, { layer, nodeIndex, inputs }));
  }
  const inputs = parseKeyList(config.input_layers, 'input_layers');
  const outputs = parseKeyList(config.output_layers, 'output_layers');

  // Depth-first post-order from the outputs: only calls that matter, producers first.
  const order: LayerCall[] = [];
  const state = new Map<LayerCall, 'visiting' | 'done'>();
  const visit = (key: TensorKey, from: string): void => {
    const call = callById.get(`${key.layer}:${key.node}`);
    if (!call) throw new TopologyError(`${from} refers to unknown tensor ${tensorKeyId(key)}`);
    const s = state.get(call);
    if (s === 'done') return;
    if (s === 'visiting') throw new TopologyError(`cycle through layer "${call.layer.name}"`);
    state.set(call, 'visiting');
    for (const k of call.inputs) visit(k, `layer "${call.layer.name}"`);
    state.set(call, 'done');
    order.push(call);
  };
  for (const k of [...inputs, ...outputs]) visit(k, 'model');
  return { name: str(config.name) ?? 'model', inputs, outputs, calls: order };
}

function parseKey(v: JsonValue, what: string): TensorKey {
  if (Array.isArray(v) && typeof v[0] === 'string') {
    return { layer: v[0], node: typeof v[1] === 'number' ? v[1] : 0, tensor: typeof v[2] === 'number' ? v[2] : 0 };
  }
  throw new TopologyError(`cannot read tensor reference in ${what}: ${JSON.stringify(v).slice(0, 200)}`);
}

/** `[["a",0,0], ...]`, or a single `["a",0,0]` (Keras 3 with one input). */
function parseKeyList(v: JsonValue | undefined, what: string): TensorKey[] {
  if (!Array.isArray(v) || v.length === 0) throw new TopologyError(`functional model config has no ${what}`);
  if (typeof v[0] === 'string') return [parseKey(v, what)];
  return v.map((x) => parseKey(x, what));
}

function parseInboundNode(node: JsonValue): TensorKey[] {
  if (Array.isArray(node)) return node.map((t) => parseKey(t, 'inbound_nodes'));
  if (isJsonObject(node) && Array.isArray(node.args)) {
    const keys: TensorKey[] = [];
    collectKerasTensors(node.args, keys);
    return keys;
  }
  throw new TopologyError(`cannot read inbound node: ${JSON.stringify(node).slice(0, 200)}`);
}

/** Keras 3: positional args hold `__keras_tensor__` objects, possibly nested in lists. */
function collectKerasTensors(v: JsonValue, out: TensorKey[]): void {
  if (Array.isArray(v)) v.forEach((x) => collectKerasTensors(x, out));
  else if (isJsonObject(v) && isJsonObject(v.config) && Array.isArray(v.config.keras_history)) {
    out.push(parseKey(v.config.keras_history, 'keras_history'));
  }
}
