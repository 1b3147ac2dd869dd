/**
 * Test helpers: write a TF.js layers model's artifacts as the files Keras writes, with h5wasm
 * (the HDF5 library itself, so the bytes are real HDF5) and fflate (a real zip):
 *  - writeKeras2H5: tf.keras 2.x `model.save('x.h5')` (keras 2 legacy_h5_format: root attributes
 *    model_config / keras_version / backend, model_weights with layer_names, one group per layer,
 *    sorted by name, with weight_names `<layer>/<var>:0` and the datasets at those paths);
 *  - writeKeras3H5: Keras 3 `model.save('x.h5')`: same layout, Keras 3 config forms in
 *    model_config, weight names = variable paths without `:0`;
 *  - writeKeras3Archive: Keras 3 `model.save('x.keras')`: config.json + metadata.json +
 *    model.weights.h5 with `layers/<snake_class>[_n]/vars/<i>` and a `name` attribute per vars group.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { zipSync } from 'fflate';
import type { Group } from 'h5wasm';
import { decodeWeights } from '../../src/convert/keras/weights.js';
import type { DecodedWeight } from '../../src/convert/keras/weights.js';
import type { LayersModelArtifacts } from '../../src/convert/index.js';
import { h5wasm } from '../../src/sources/h5.js';
import { SNAKE, toKeras3Config } from './keras3-form.js';
import type { Json } from './keras3-form.js';

type Obj = { [k: string]: Json };

export interface WriteOptions {
  /** Variable name as the file stores it, given the layer, its class and the TF.js variable name. */
  weightName?: (layer: string, className: string, variable: string) => string;
  /** Keras 3 archive: write the `name` attribute on vars groups (Keras >= 3.6). */
  nameAttrs?: boolean;
  /** Output shapes for the Keras 3 `__keras_tensor__` entries. */
  shapes?: Map<string, Json>;
  /** Edit the model config (as written to the file) before writing: for bad-model tests. */
  editConfig?: (modelConfig: Obj) => void;
}

interface LayerInfo {
  name: string;
  className: string;
  /** A nested model's own layers. */
  layers?: LayerInfo[];
}

interface Parsed {
  modelConfig: Obj;
  layers: LayerInfo[];
  byLayer: Map<string, DecodedWeight[]>;
}

const MODELS = ['Model', 'Functional', 'Sequential'];

function layerInfos(cfg: Obj): LayerInfo[] {
  return (cfg.layers as Obj[]).map((l) => ({
    name: (l.name ?? (l.config as Obj).name) as string,
    className: l.class_name as string,
    ...(MODELS.includes(l.class_name as string) ? { layers: layerInfos(l.config as Obj) } : {}),
  }));
}

/** A layer's weights with the leaf layer owning each (itself, or an inner layer of a nested model). */
function weightsOf(l: LayerInfo, byLayer: Map<string, DecodedWeight[]>): { leaf: LayerInfo; w: DecodedWeight }[] {
  if (l.layers) return l.layers.flatMap((inner) => weightsOf(inner, byLayer));
  return (byLayer.get(l.name) ?? []).map((w) => ({ leaf: l, w }));
}

/** TF.js artifacts -> model config ({class_name, config}), layer list and weights grouped by layer. */
export function parseArtifacts(a: LayersModelArtifacts): Parsed {
  const top = a.modelTopology as Obj;
  const mc = (top.model_config ?? top) as Obj;
  const modelConfig: Obj = { class_name: mc.class_name === 'Model' ? 'Functional' : mc.class_name, config: mc.config };
  const layers = layerInfos(mc.config as Obj);
  const byLayer = new Map<string, DecodedWeight[]>();
  for (const w of decodeWeights(a.weightSpecs ?? [], a.weightData)) {
    const layer = w.name.slice(0, w.name.lastIndexOf('/'));
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), w]);
  }
  return { modelConfig, layers, byLayer };
}

const variableOf = (w: DecodedWeight): string => w.name.slice(w.name.lastIndexOf('/') + 1);

function group(parent: Group, path: string): Group {
  let g = parent;
  for (const part of path.split('/')) g = (g.keys().includes(part) ? g.get(part) : g.create_group(part)) as Group;
  return g;
}

/** Fixed-length byte strings, as h5py stores `np.asarray([b'...'])` and `json.dumps(...).encode()`. */
function bytesAttr(g: Group, name: string, value: string | string[]): void {
  const list = Array.isArray(value) ? value : [value];
  const size = Math.max(1, ...list.map((s) => Buffer.byteLength(s)));
  if (Array.isArray(value) && value.length === 0) g.create_attribute(name, new Float64Array(0), [0], '<d'); // np.asarray([]) is float64
  else g.create_attribute(name, value, Array.isArray(value) ? [value.length] : null, `S${size}`);
}

async function writeLegacyH5(file: string, a: LayersModelArtifacts, modelConfig: Obj, meta: { kerasVersion: string; backend: string }, opts: WriteOptions): Promise<void> {
  const lib = await h5wasm();
  const { layers, byLayer } = parseArtifacts(a);
  const f = new lib.File(file, 'w');
  try {
    const written = structuredClone(modelConfig);
    opts.editConfig?.(written);
    bytesAttr(f, 'model_config', JSON.stringify(written));
    f.create_attribute('keras_version', meta.kerasVersion); // h5py stores a str as a variable-length string
    f.create_attribute('backend', meta.backend);
    const mw = f.create_group('model_weights');
    bytesAttr(mw, 'layer_names', layers.map((l) => l.name));
    bytesAttr(mw, 'backend', meta.backend);
    bytesAttr(mw, 'keras_version', meta.kerasVersion);
    for (const l of [...layers].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
      const g = mw.create_group(l.name);
      // A nested model's group holds all its layers' variables, named by the inner layer (tf.keras 2 scopes).
      const weights = weightsOf(l, byLayer);
      const names = weights.map(({ leaf, w }) => (opts.weightName ?? ((n, _c, v) => `${n}/${v}:0`))(leaf.name, leaf.className, variableOf(w)));
      bytesAttr(g, 'weight_names', names);
      weights.forEach(({ w }, i) => {
        const slash = names[i].lastIndexOf('/');
        const parent = slash < 0 ? g : group(g, names[i].slice(0, slash));
        parent.create_dataset({ name: names[i].slice(slash + 1), data: w.data, shape: w.dims, dtype: '<f' });
      });
    }
  } finally {
    f.close();
  }
}

export async function writeKeras2H5(file: string, a: LayersModelArtifacts, opts: WriteOptions = {}): Promise<void> {
  const { modelConfig } = parseArtifacts(a);
  await writeLegacyH5(file, a, modelConfig, { kerasVersion: '2.15.0', backend: 'tensorflow' }, opts);
}

export async function writeKeras3H5(file: string, a: LayersModelArtifacts, opts: WriteOptions = {}): Promise<void> {
  const { modelConfig } = parseArtifacts(a);
  const k3 = toKeras3Config(modelConfig, opts.shapes);
  // The legacy writer serialises layers as {class_name, config} (legacy serialization), nodes in Keras 3 form.
  for (const l of (k3.config as Obj).layers as Obj[]) {
    delete l.module;
    delete l.registered_name;
    delete l.build_config;
  }
  const weightName = opts.weightName ?? ((n: string, c: string, v: string) => `${n}/${c === 'DepthwiseConv2D' && v === 'depthwise_kernel' ? 'kernel' : v}`);
  await writeLegacyH5(file, a, { class_name: k3.class_name, config: k3.config }, { kerasVersion: '3.6.0', backend: 'tensorflow' }, { ...opts, weightName });
}

export async function writeKeras3Archive(file: string, a: LayersModelArtifacts, opts: WriteOptions = {}): Promise<void> {
  const { modelConfig, layers, byLayer } = parseArtifacts(a);
  const lib = await h5wasm();
  const weightsFile = `${file}.weights.h5`;
  const f = new lib.File(weightsFile, 'w');
  try {
    writeContainer(f.create_group('layers'), layers, modelConfig.class_name === 'Sequential', byLayer, opts);
    f.create_group('vars').create_attribute('name', String((modelConfig.config as Obj).name ?? 'model'));
  } finally {
    f.close();
  }
  const weights = new Uint8Array(await readFile(weightsFile));
  await rm(weightsFile);
  const config = structuredClone(toKeras3Config(modelConfig, opts.shapes));
  opts.editConfig?.(config);
  await writeFile(
    file,
    zipSync({
      'metadata.json': new TextEncoder().encode(JSON.stringify({ keras_version: '3.6.0', date_saved: '2026-11-30@10:00:00' })),
      'config.json': new TextEncoder().encode(JSON.stringify(config)),
      'model.weights.h5': weights,
    }),
  );
}

/** `layers/<snake_class>[_n]/vars/<i>` per layer; a nested model gets `layers/<key>/layers/...` (saving_lib _save_container_state). */
function writeContainer(container: Group, layers: LayerInfo[], sequential: boolean, byLayer: Map<string, DecodedWeight[]>, opts: WriteOptions): void {
  const used = new Map<string, number>();
  for (const l of layers) {
    if (sequential && l.className === 'InputLayer') continue; // Sequential.layers omits it
    const base = l.layers ? (l.className === 'Sequential' ? 'sequential' : 'functional') : SNAKE[l.className];
    if (!base) throw new Error(`test writer: add ${l.className} to SNAKE`);
    const n = used.get(base);
    used.set(base, n === undefined ? 0 : n + 1);
    const g = container.create_group(n === undefined ? base : `${base}_${n + 1}`);
    const vars = g.create_group('vars');
    if (opts.nameAttrs !== false) vars.create_attribute('name', l.name);
    if (l.layers) writeContainer(g.create_group('layers'), l.layers, l.className === 'Sequential', byLayer, opts);
    // TF.js saves a layer's weights trainable first, then non-trainable: Keras 3's save order too.
    else (byLayer.get(l.name) ?? []).forEach((w, i) => vars.create_dataset({ name: String(i), data: w.data, shape: w.dims, dtype: '<f' }));
  }
}

/** Write an arbitrary zip (for broken-archive tests). */
export async function writeZip(file: string, entries: Record<string, string | Uint8Array>): Promise<void> {
  const files: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(entries)) files[k] = typeof v === 'string' ? new TextEncoder().encode(v) : v;
  await writeFile(file, zipSync(files));
}
