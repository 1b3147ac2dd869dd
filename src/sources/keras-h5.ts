/**
 * Keras HDF5 full model (`model.save('x.h5')`, tf.keras 2.x and Keras 3's legacy writer,
 * keras/src/legacy/saving/legacy_h5_format.py): root attributes `model_config` (JSON),
 * `keras_version`, `backend`; group `model_weights` with attribute `layer_names` and, per layer,
 * a group with attribute `weight_names` whose entries are dataset paths inside that group
 * (tf.keras 2: `conv1/kernel:0`; Keras 3: the variable path, `conv1/kernel`).
 */
import type { Group } from 'h5wasm';
import { isJsonObject } from '../convert/keras/types.js';
import { ModelSourceError } from './errors.js';
import { h5wasm, isDataset, isGroup, openH5, readFloatDataset, stringAttr, stringListAttr } from './h5.js';
import { normaliseKerasConfig } from './keras-config.js';
import type { KerasTopology } from './keras-config.js';
import type { KerasModelSource } from './types.js';
import { checkImageClassifier } from './validate.js';
import { converterVariableName, packWeights } from './weights.js';
import type { NamedWeight } from './weights.js';

export async function readKerasH5(file: string): Promise<KerasModelSource> {
  const lib = await h5wasm();
  const f = await openH5(file, 'Keras .h5 file');
  try {
    const rawConfig = stringAttr(f, 'model_config');
    if (rawConfig === undefined) {
      const weightsOnly = stringListAttr(f, 'layer_names') !== undefined;
      throw new ModelSourceError(
        'missing_entry',
        file,
        weightsOnly
          ? 'holds weights only (model.save_weights): save the whole model with model.save("model.h5")'
          : 'has no model_config attribute: not a Keras model.save() file',
      );
    }
    let modelConfig: unknown;
    try {
      modelConfig = JSON.parse(rawConfig);
    } catch (err) {
      throw new ModelSourceError('invalid_config', file, `model_config is not JSON: ${(err as Error).message}`, { cause: err });
    }
    const weightsGroup = f.get('model_weights');
    if (!isGroup(weightsGroup, lib)) throw new ModelSourceError('missing_entry', file, 'has no model_weights group');
    const kerasVersion = stringAttr(f, 'keras_version') ?? stringAttr(weightsGroup, 'keras_version');
    const backend = stringAttr(f, 'backend') ?? stringAttr(weightsGroup, 'backend');
    const modelTopology = normaliseKerasConfig(modelConfig, file, { kerasVersion, backend });
    const input = checkImageClassifier(modelTopology, file);
    const weights = readModelWeights(lib, weightsGroup, modelTopology, file);
    return { format: 'keras-h5', file, kerasVersion, backend, input, artifacts: { modelTopology, ...packWeights(weights) } };
  } finally {
    f.close();
  }
}

function readModelWeights(lib: Awaited<ReturnType<typeof h5wasm>>, group: Group, topology: KerasTopology, file: string): NamedWeight[] {
  const layerNames = stringListAttr(group, 'layer_names');
  if (!layerNames) throw new ModelSourceError('missing_entry', file, 'model_weights has no layer_names attribute');
  const classOf = new Map<string, string>();
  for (const l of topology.model_config.config.layers as unknown[]) {
    if (isJsonObject(l) && typeof l.name === 'string' && typeof l.class_name === 'string') classOf.set(l.name, l.class_name);
  }
  const out: NamedWeight[] = [];
  for (const layer of layerNames) {
    const g = group.get(layer);
    if (!isGroup(g, lib)) throw new ModelSourceError('missing_entry', file, `model_weights lists layer "${layer}" but has no group for it`);
    const names = stringListAttr(g, 'weight_names') ?? [];
    // The owning layer is the group, not the name's prefix: tf.keras names a variable after the
    // name scope it was created in, which differs from the layer name when layers were renamed.
    const variables = names.map((n) => n.replace(/:\d+$/, '').split('/').pop() ?? n);
    const unique = new Set(variables).size === variables.length;
    names.forEach((weightName, i) => {
      const d = g.get(weightName);
      if (!isDataset(d, lib)) {
        throw new ModelSourceError('missing_entry', file, `layer "${layer}" lists weight "${weightName}" but model_weights/${layer}/${weightName} is not a dataset`);
      }
      const { dims, data } = readFloatDataset(d, file);
      // Several variables of one name = a nested model's layers: keep their full paths.
      const name = unique ? `${layer}/${converterVariableName(classOf.get(layer), variables[i])}` : weightName.replace(/:\d+$/, '');
      out.push({ name, dims, data });
    });
  }
  return out;
}
