/**
 * The pipeline's contract with the service, for a repository of several models and versions:
 *   scanRepository(settings)        -> ModelEntry[]: what there is to serve (cheap; rerun on rescans)
 *   prepareVersion(settings, entry) -> PreparedModel: read, convert, quantize (cached), labels
 */
import { stat } from 'node:fs/promises';
import { prepareFileVersion } from './file-model.js';
import { prepareNpmModel } from './npm-model.js';
import type { ModelSettings, PreparedModel, PrepareHooks } from './prepared.js';
import type { VersionEntry } from './repository-scan.js';

export { scanRepository } from './repository-scan.js';
export type { ModelEntry, VersionEntry, VersionSource } from './repository-scan.js';
export type { ModelSettings, PreparedModel, PrepareHooks } from './prepared.js';

/**
 * What changes when a version's files change (size and modification time of its model file; the
 * npm spec for a fetched model): a rescan retries a version that failed once this differs, so a
 * version folder caught half-copied is loaded once its copy is complete.
 */
export async function versionStamp(v: VersionEntry): Promise<string> {
  if (v.source.kind === 'npm') return v.source.descriptor.source.npm;
  const info = await stat(v.source.file).catch(() => undefined);
  return info ? `${info.size}:${info.mtimeMs}` : 'missing';
}

/** Build one version: read/convert/quantize as configured (cached), labels, preprocessing. */
export async function prepareVersion(s: ModelSettings, v: VersionEntry, hooks: PrepareHooks = {}): Promise<PreparedModel> {
  if (v.source.kind === 'npm') return prepareNpmModel(s, v.source.descriptor, hooks);
  return prepareFileVersion(s, v, hooks);
}
