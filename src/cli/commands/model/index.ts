/** `resnet-serve model <command>`: fetch, prepare, convert and quantize the model ahead of the server. */
import { commandGroup } from '../command.js';
import { convertCommand } from './convert.js';
import { fetchCommand } from './fetch.js';
import { prepareCommand } from './prepare.js';
import { quantizeCommand } from './quantize.js';

const about = `Fetches and builds the model MODEL_NAME names, into MODEL_CACHE_DIR. The server does the same
at start when it must; these commands do it ahead of time (the Docker build runs 'model prepare') or
write the result out for inspection. Settings come from the environment, as for the server.`;

export const modelCommand = commandGroup('model', 'fetch, prepare, convert or quantize the model ahead of time', about, [
  fetchCommand,
  prepareCommand,
  convertCommand,
  quantizeCommand,
]);
