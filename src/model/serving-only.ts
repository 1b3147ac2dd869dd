/**
 * Trims a prepared model cache to what one ONNX build serves from: the converted model and the
 * labels. A container image ships only these (26 MB instead of the 95 MB Keras source plus every
 * conversion), and `source.json` is rewritten to record exactly them, so a start still re-checks
 * every file it reads against its recorded sha256 (inspectCache) before serving.
 */
import { rm, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../errors.js';
import { inspectCache, sha256File, SOURCE_RECORD, type FileRecord, type SourceRecord } from './cache.js';
import type { NpmModelDescriptor } from './descriptor.js';

/** What a trimmed cache can still serve: one ONNX file, no source to convert from. */
export interface ServingOnly {
  engine: 'onnx';
  /** The ONNX file, relative to the model's cache folder. */
  onnx: string;
}

export async function trimToServing(cacheDir: string, d: NpmModelDescriptor, onnxPath: string): Promise<SourceRecord> {
  const state = await inspectCache(cacheDir, d);
  if (state.status !== 'valid') throw new StartupError(`cannot trim the model cache ${state.dir}: it is ${state.status}`);
  const onnx = path.relative(state.dir, onnxPath);
  if (onnx.startsWith('..') || path.isAbsolute(onnx)) throw new StartupError(`${onnxPath} is not inside the model cache ${state.dir}`);
  const keep = new Set([d.files.labels, onnx, `${onnx}.sha256`, SOURCE_RECORD]);
  await removeAllBut(state.dir, state.dir, keep);
  const files: Record<string, FileRecord> = {};
  for (const rel of [d.files.labels, onnx]) {
    const file = path.join(state.dir, rel);
    files[rel] = { size: (await stat(file)).size, sha256: await sha256File(file) };
  }
  const servingOnly: ServingOnly = { engine: 'onnx', onnx };
  const record: SourceRecord = { ...state.record, files, servingOnly };
  await writeFile(path.join(state.dir, SOURCE_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

async function removeAllBut(root: string, dir: string, keep: Set<string>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const rel = path.relative(root, full);
    if (entry.isDirectory()) {
      if ([...keep].some((k) => k.startsWith(`${rel}${path.sep}`))) await removeAllBut(root, full, keep);
      else await rm(full, { recursive: true, force: true });
    } else if (!keep.has(rel)) {
      await rm(full, { force: true });
    }
  }
}
