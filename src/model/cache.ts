/**
 * The model cache folder: `<cacheDir>/<model>/` holds the unpacked source files and `source.json`,
 * a record of what was fetched (integrity, and size + sha256 of every file). A folder only ever
 * appears there by an atomic rename of a complete download, so a crash half-way leaves no cache.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../errors.js';
import type { NpmModelDescriptor } from './descriptor.js';

export const SOURCE_RECORD = 'source.json';

export interface FileRecord {
  size: number;
  sha256: string;
}

export interface SourceRecord {
  npm: string;
  integrity: string;
  fetchedAt: string;
  files: Record<string, FileRecord>;
  /** Set when the cache was trimmed to one ONNX build (container images): no source to convert from. */
  servingOnly?: { engine: 'onnx'; onnx: string };
}

export type CacheState =
  | { status: 'valid'; dir: string; record: SourceRecord }
  | { status: 'missing'; dir: string }
  | { status: 'stale'; dir: string; reason: string }
  | { status: 'corrupt'; dir: string; reason: string };

export const modelCacheDir = (cacheDir: string, d: NpmModelDescriptor): string => path.join(cacheDir, d.name);

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Checks the cache against the descriptor without touching the network. `deep` re-hashes every
 * file (about 0.3 s for ResNet50) so that a corrupted shard is caught at start, not served.
 */
export async function inspectCache(cacheDir: string, d: NpmModelDescriptor, deep = true): Promise<CacheState> {
  const dir = modelCacheDir(cacheDir, d);
  let text: string;
  try {
    text = await readFile(path.join(dir, SOURCE_RECORD), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'missing', dir };
    throw new StartupError(`cannot read model cache ${dir}: ${code ?? String(err)}`, { cause: err });
  }
  let record: SourceRecord;
  try {
    record = JSON.parse(text) as SourceRecord;
  } catch {
    return { status: 'corrupt', dir, reason: `${SOURCE_RECORD} is not valid JSON` };
  }
  if (record.integrity !== d.source.integrity) {
    return { status: 'stale', dir, reason: `cached ${record.npm} does not match ${d.source.npm} (${d.source.integrity.slice(0, 20)}...)` };
  }
  for (const [rel, want] of Object.entries(record.files ?? {})) {
    const file = path.join(dir, rel);
    const size = await stat(file).then((s) => s.size, () => -1);
    if (size !== want.size) return { status: 'corrupt', dir, reason: `${rel} has ${size < 0 ? 'gone missing' : `${size} bytes, expected ${want.size}`}` };
    // A trimmed cache's ONNX file is hashed once per start by its sidecar check (pipeline/onnx-cache.ts).
    const hashedLater = rel === record.servingOnly?.onnx;
    if (deep && !hashedLater && (await sha256File(file)) !== want.sha256) return { status: 'corrupt', dir, reason: `${rel} does not match its recorded sha256` };
  }
  const needs = record.servingOnly ? [record.servingOnly.onnx, d.files.labels] : [d.files.modelJson, d.files.labels];
  for (const needed of needs) {
    if (!record.files?.[needed]) return { status: 'corrupt', dir, reason: `${needed} is not in the cache` };
  }
  return { status: 'valid', dir, record };
}
