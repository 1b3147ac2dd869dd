/**
 * HDF5 access through h5wasm (the HDF5 C library compiled to WebAssembly: no native build, reads
 * every HDF5 layout h5py writes). Its `h5wasm/node` build mounts the host filesystem (Emscripten
 * NODERAWFS), so files open by path without copying them into WASM memory first. It is imported
 * lazily: serving a TF.js or ONNX model never loads the 4 MB WASM module.
 */
import type { Dataset, File as H5File, Group } from 'h5wasm';
import { ModelSourceError } from './errors.js';

type H5Wasm = typeof import('h5wasm/node');

let loading: Promise<H5Wasm> | undefined;

/** The initialised library; HDF5 errors throw JS Errors (default: printed to the console, not thrown). */
export function h5wasm(): Promise<H5Wasm> {
  loading ??= import('h5wasm/node').then(async (lib) => {
    const module = await lib.ready;
    module.activate_throwing_error_handler();
    return lib;
  });
  return loading;
}

/** The innermost message of an HDF5 error stack ("truncated file: eof = ...", "file signature not found"). */
export function hdf5Reason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const frames = [...text.matchAll(/#\d+: .* in \w+\(\): (.*)$/gm)];
  return frames.length > 0 ? frames[frames.length - 1][1].trim() : text.split('\n')[0];
}

/** Open an HDF5 file read-only; any failure (missing, truncated, not HDF5) is `unreadable_file`. */
export async function openH5(file: string, what: string): Promise<H5File> {
  const lib = await h5wasm();
  try {
    return new lib.File(file, 'r');
  } catch (err) {
    throw new ModelSourceError('unreadable_file', file, `cannot open ${what} as HDF5: ${hdf5Reason(err)}`, { cause: err });
  }
}

export function isGroup(e: unknown, lib: H5Wasm): e is Group {
  return e instanceof lib.Group;
}

export function isDataset(e: unknown, lib: H5Wasm): e is Dataset {
  return e instanceof lib.Dataset;
}

/** A string attribute (h5py writes fixed-length bytes or variable-length strings; both read as string). */
export function stringAttr(g: Group, name: string): string | undefined {
  if (!Object.hasOwn(g.attrs, name)) return undefined;
  const v = g.attrs[name].value;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return undefined;
}

/**
 * A list-of-strings attribute such as `layer_names` / `weight_names`. Keras splits one over the
 * HDF5 object-header limit (64 KiB) into `name0`, `name1`, ... (legacy_h5_format.py,
 * save_attributes_to_hdf5_group), so read those too.
 */
export function stringListAttr(g: Group, name: string): string[] | undefined {
  const one = (key: string): string[] => {
    const v = g.attrs[key].value;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : String(x)));
    return [];
  };
  if (Object.hasOwn(g.attrs, name)) return one(name);
  if (!Object.hasOwn(g.attrs, `${name}0`)) return undefined;
  const out: string[] = [];
  for (let i = 0; Object.hasOwn(g.attrs, `${name}${i}`); i++) out.push(...one(`${name}${i}`));
  return out;
}

/** A float dataset as float32 plus its shape; scalars get shape []. */
export function readFloatDataset(d: Dataset, file: string): { dims: number[]; data: Float32Array } {
  let value: unknown;
  try {
    value = d.value;
  } catch (err) {
    throw new ModelSourceError('unreadable_file', file, `cannot read dataset ${d.path}: ${hdf5Reason(err)}`, { cause: err });
  }
  const dims = [...(d.shape ?? [])];
  if (value instanceof Float32Array) return { dims, data: value };
  if (value instanceof Float64Array || value instanceof Int32Array || value instanceof Int16Array || value instanceof Uint8Array) {
    return { dims, data: Float32Array.from(value) };
  }
  if (typeof value === 'number') return { dims, data: Float32Array.of(value) };
  throw new ModelSourceError('weights_mismatch', file, `dataset ${d.path} has dtype ${String(d.dtype)}, expected float32 or float64`);
}
