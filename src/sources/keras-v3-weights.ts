/**
 * Weights of a Keras 3 `.keras` archive (`model.weights.h5`, keras/src/saving/saving_lib.py):
 * each layer's variables sit at `layers/<key>/vars/<i>` where `<key>` is NOT the layer name but
 * the snake_case of its class, numbered in `model.layers` order (`conv2d`, `conv2d_1`, ...;
 * `_save_container_state`), and `<i>` is the position in `trainable + non-trainable` variables in
 * creation order (`Layer.save_own_variables`). Keras >= 3.6 also writes the layer name as the
 * `name` attribute of each `vars` group, which we check when present. Files written by tf.keras
 * 2.13-2.15 used `_layer_checkpoint_dependencies` instead of `layers`.
 */
import type { Group } from 'h5wasm';
import { isJsonObject } from '../convert/keras/types.js';
import type { JsonObject } from '../convert/keras/types.js';
import { ModelSourceError } from './errors.js';
import { h5wasm, isDataset, isGroup, readFloatDataset, stringAttr } from './h5.js';
import { isModelClass } from './keras-config.js';
import type { KerasTopology } from './keras-config.js';
import { converterVariableName } from './weights.js';
import type { NamedWeight } from './weights.js';

type Lib = Awaited<ReturnType<typeof h5wasm>>;

const flag = (cfg: JsonObject, key: string, def: boolean): boolean => (typeof cfg[key] === 'boolean' ? (cfg[key] as boolean) : def);
const withBias = (cfg: JsonObject, names: string[]): string[] => (flag(cfg, 'use_bias', true) ? [...names, 'bias'] : names);

/** Variable names of a layer in save order, for the classes whose variables the converter reads. */
const VARIABLES: Record<string, (cfg: JsonObject) => string[]> = {
  Dense: (c) => withBias(c, ['kernel']),
  Conv1D: (c) => withBias(c, ['kernel']),
  Conv2D: (c) => withBias(c, ['kernel']),
  Conv3D: (c) => withBias(c, ['kernel']),
  Conv1DTranspose: (c) => withBias(c, ['kernel']),
  Conv2DTranspose: (c) => withBias(c, ['kernel']),
  DepthwiseConv1D: (c) => withBias(c, ['kernel']),
  DepthwiseConv2D: (c) => withBias(c, ['kernel']),
  SeparableConv1D: (c) => withBias(c, ['depthwise_kernel', 'pointwise_kernel']),
  SeparableConv2D: (c) => withBias(c, ['depthwise_kernel', 'pointwise_kernel']),
  BatchNormalization: (c) => [
    ...(flag(c, 'scale', true) ? ['gamma'] : []),
    ...(flag(c, 'center', true) ? ['beta'] : []),
    'moving_mean',
    'moving_variance',
  ],
  LayerNormalization: (c) => [...(flag(c, 'scale', true) ? ['gamma'] : []), ...(flag(c, 'center', true) ? ['beta'] : [])],
  PReLU: () => ['alpha'],
};
for (const [alias, of] of [
  ['Convolution1D', 'Conv1D'],
  ['Convolution2D', 'Conv2D'],
  ['Convolution3D', 'Conv3D'],
  ['SeparableConvolution2D', 'SeparableConv2D'],
] as const) {
  VARIABLES[alias] = VARIABLES[of];
}

/** Keras' `naming.to_snake_case` (keras/src/utils/naming.py): "Conv2D" -> "conv2d", "BatchNormalization" -> "batch_normalization". */
export function snakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

export function readKerasV3Weights(lib: Lib, root: Group, topology: KerasTopology, file: string): NamedWeight[] {
  const out: NamedWeight[] = [];
  readContainer(lib, root, topology.model_config.config.layers as unknown[], '', file, out);
  return out;
}

/** `group/layers/<key>/vars/<i>` for each layer of `layers`; a nested model recurses into `layers/<key>/layers`. */
function readContainer(lib: Lib, group: Group | undefined, layers: unknown[], prefix: string, file: string, out: NamedWeight[]): void {
  const container = group ? ['layers', '_layer_checkpoint_dependencies'].map((k) => group.get(k)).find((g) => isGroup(g, lib)) : undefined;
  const used = new Map<string, number>();
  for (const entry of layers) {
    if (!isJsonObject(entry) || typeof entry.class_name !== 'string' || typeof entry.name !== 'string') continue;
    const layer = entry.name;
    const className = entry.class_name;
    const cfg = isJsonObject(entry.config) ? entry.config : {};
    const base = snakeCase(className);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    const key = n === undefined ? base : `${base}_${n + 1}`;
    if (isModelClass(className) && Array.isArray(cfg.layers)) {
      const inner = container ? (container as Group).get(key) : null;
      readContainer(lib, isGroup(inner, lib) ? inner : undefined, cfg.layers, `${prefix}${layer}/`, file, out);
      continue;
    }
    const vars = container ? (container as Group).get(`${key}/vars`) : null;
    const count = isGroup(vars, lib) ? vars.keys().length : 0;
    if (count === 0) continue;
    const varsGroup = vars as Group;
    const savedName = stringAttr(varsGroup, 'name');
    if (savedName !== undefined && savedName !== layer) {
      throw new ModelSourceError('weights_mismatch', file, `weights at layers/${key} belong to layer "${savedName}", expected "${layer}" (${className})`);
    }
    if (typeof cfg.dtype === 'string' && /^(int8|int4|float8|gptq|awq|ternary)/.test(cfg.dtype)) {
      throw new ModelSourceError('unsupported_config', file, `layer "${layer}" (${className}) is quantized (dtype policy "${cfg.dtype}"); save the float model`, {
        layerName: layer,
        className,
      });
    }
    const expected = Object.hasOwn(VARIABLES, className) ? VARIABLES[className](cfg) : undefined;
    if (expected && expected.length !== count) {
      throw new ModelSourceError(
        'weights_mismatch',
        file,
        `layer "${layer}" (${className}) has ${count} saved variables at layers/${key}/vars, expected ${expected.length} (${expected.join(', ')})`,
        { layerName: layer, className },
      );
    }
    for (let i = 0; i < count; i++) {
      const d = varsGroup.get(String(i));
      if (!isDataset(d, lib)) throw new ModelSourceError('missing_entry', file, `layers/${key}/vars/${i} (layer "${layer}") is not a dataset`);
      const { dims, data } = readFloatDataset(d, file);
      // A class we have no variable names for is one the converter refuses by name anyway.
      const variable = expected ? converterVariableName(className, expected[i]) : `var_${i}`;
      out.push({ name: `${prefix}${layer}/${variable}`, dims, data });
    }
  }
}
