/**
 * Test helper: a TF.js (Keras 2 form) model config rewritten the way Keras 3 serialises it
 * (keras/src/saving/serialization_lib.py serialize_keras_object, keras/src/models/functional.py
 * get_config, keras/src/layers/core/input_layer.py get_config): `module` / `registered_name` /
 * `build_config` on every object, DTypePolicy objects, InputLayer `batch_shape`, inbound nodes as
 * `{args: [__keras_tensor__...], kwargs: {}}`, a single input/output as one flat reference.
 */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const policy = (name: string): Json => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null });

function serialisedInner(v: Json, module: string): Json {
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.class_name === 'string' && 'config' in v) {
    return { module, class_name: v.class_name, config: v.config, registered_name: null };
  }
  return v;
}

function layerConfig(className: string, cfg: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (k === 'batch_input_shape') continue;
    if (k.endsWith('_initializer')) out[k] = serialisedInner(v, 'keras.initializers');
    else if (k.endsWith('_regularizer') || k.endsWith('_constraint')) out[k] = serialisedInner(v, 'keras.regularizers');
    else out[k] = v;
  }
  if (className === 'InputLayer') {
    return { batch_shape: cfg.batch_input_shape, dtype: 'float32', sparse: false, ragged: false, name: cfg.name, optional: false };
  }
  out.dtype = policy('float32');
  return out;
}

const tensor = (ref: Json, shapes: Map<string, Json>): Json => {
  const r = ref as [string, number, number];
  return { class_name: '__keras_tensor__', config: { shape: shapes.get(r[0]) ?? null, dtype: 'float32', keras_history: [r[0], r[1], r[2]] } };
};

function nodesOf(l: Obj, shapes: Map<string, Json>): Json[] {
  return ((l.inbound_nodes ?? []) as Json[][]).map((node) => {
    const refs = node.map((r) => tensor(r, shapes));
    // A merge layer takes one positional argument: the list of its inputs.
    return { args: refs.length === 1 ? refs : [refs], kwargs: {} };
  });
}

/**
 * `model` is `{class_name, config}` as TF.js saves it; `shapes` maps a layer name to its output
 * shape (for the `__keras_tensor__` shapes Keras writes; not needed to read the model).
 */
export function toKeras3Config(model: Obj, shapes: Map<string, Json> = new Map()): Obj {
  const cfg = model.config as Obj;
  const sequential = model.class_name === 'Sequential';
  const source = [...(cfg.layers as Obj[])];
  const first = source[0]?.config as Obj | undefined;
  if (sequential && source[0]?.class_name !== 'InputLayer' && first?.batch_input_shape) {
    // Keras 3 writes the Sequential model's input as an InputLayer entry.
    source.unshift({ class_name: 'InputLayer', config: { batch_input_shape: first.batch_input_shape, name: 'input_layer' } });
  }
  const layers = source.map((l) => {
    const className = l.class_name as string;
    if (['Model', 'Functional', 'Sequential'].includes(className)) {
      // A nested model: serialised like the top one, then given its name and inbound nodes.
      const nested = toKeras3Config(l as Obj, shapes);
      if (!sequential) Object.assign(nested, { name: l.name as string, inbound_nodes: nodesOf(l, shapes) });
      return nested;
    }
    const config = layerConfig(className, l.config as Obj);
    const out: Obj = { module: 'keras.layers', class_name: className, config, registered_name: null };
    if (className !== 'InputLayer') out.build_config = { input_shape: null };
    if (!sequential) {
      out.name = l.name as string;
      out.inbound_nodes = nodesOf(l, shapes);
    }
    return out;
  });
  const config: Obj = { name: cfg.name ?? 'model', trainable: true, layers };
  if (!sequential) {
    const single = (v: Json): Json => (Array.isArray(v) && v.length === 1 ? (v[0] as Json[]).slice(0, 3) : v);
    config.input_layers = single(cfg.input_layers ?? []);
    config.output_layers = single(cfg.output_layers ?? []);
  } else {
    config.dtype = policy('float32');
  }
  return {
    module: 'keras',
    class_name: sequential ? 'Sequential' : 'Functional',
    config,
    registered_name: sequential ? null : 'Functional',
    build_config: { input_shape: null },
    compile_config: null,
  };
}

/** Keras' class -> weights-file key (`Conv2D` -> `conv2d`), written independently of src/ for the test. */
export const SNAKE: Record<string, string> = {
  InputLayer: 'input_layer',
  Conv2D: 'conv2d',
  DepthwiseConv2D: 'depthwise_conv2d',
  SeparableConv2D: 'separable_conv2d',
  BatchNormalization: 'batch_normalization',
  Dense: 'dense',
  LayerNormalization: 'layer_normalization',
  Activation: 'activation',
  ReLU: 're_lu',
  MaxPooling2D: 'max_pooling2d',
  AveragePooling2D: 'average_pooling2d',
  GlobalAveragePooling2D: 'global_average_pooling2d',
  Flatten: 'flatten',
  Add: 'add',
  Concatenate: 'concatenate',
  ZeroPadding2D: 'zero_padding2d',
  Dropout: 'dropout',
};
