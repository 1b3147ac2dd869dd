/**
 * LEAD'S PLACEHOLDER until the `ownmodel` branch lands (it replaces this file): the built-in
 * model only, through the existing pipeline.
 */
import { readDescriptor } from '../model/descriptor.js';
import { prepareModel, type ModelSettings, type PreparedModel, type PrepareHooks } from './prepare.js';

export interface VersionEntry {
  name: string;
  version: string;
  location: string;
}

export interface ModelEntry {
  name: string;
  versions: VersionEntry[];
  error?: string;
}

export async function scanRepository(s: ModelSettings): Promise<ModelEntry[]> {
  const d = await readDescriptor(s.modelRepository, s.modelName);
  return [{ name: d.name, versions: [{ name: d.name, version: d.version, location: d.source.npm }] }];
}

export async function prepareVersion(s: ModelSettings, _v: VersionEntry, hooks: PrepareHooks = {}): Promise<PreparedModel> {
  return prepareModel(s, hooks);
}
