/**
 * From configuration to one loadable model (the single-model entry point the CLI model commands,
 * the bench and the single-model service use): scan what MODEL_PATH / MODEL_REPOSITORY hold, pick
 * MODEL_NAME (or the only model), and prepare its highest version.
 */
import { StartupError } from '../errors.js';
import { prepareVersion, scanRepository } from './repository.js';
import type { ModelSettings, PreparedModel, PrepareHooks } from './prepared.js';

export type { ModelSettings, PreparedModel, PrepareHooks } from './prepared.js';
export { ensureSource } from './npm-model.js';

export async function prepareModel(c: ModelSettings, hooks: PrepareHooks = {}): Promise<PreparedModel> {
  const models = await scanRepository(c);
  const model = models.length === 1 && c.modelPath !== undefined ? models[0] : (models.find((m) => m.name === c.modelName) ?? (models.length === 1 ? models[0] : undefined));
  if (!model) {
    const names = models.map((m) => m.name).join(', ') || 'none';
    throw new StartupError(`model "${c.modelName}" is not in MODEL_REPOSITORY ${c.modelRepository} (models there: ${names}); set MODEL_NAME to one of them`);
  }
  if (model.error) throw new StartupError(model.error);
  const latest = model.versions[model.versions.length - 1];
  if (!latest) throw new StartupError(`model "${model.name}" has no version to serve`);
  return prepareVersion(c, latest, hooks);
}
