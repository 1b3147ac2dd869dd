/** Fetches the model once before any test (a no-op when the cache is valid), as `npm start` would. */
import { loadConfig } from '../../src/config/config.js';
import { readDescriptor } from '../../src/model/descriptor.js';
import { fetchModel } from '../../src/model/fetch.js';

export default async function setup(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const d = await readDescriptor(config.modelRepository, config.modelName);
  await fetchModel(d, config.modelCacheDir);
}
