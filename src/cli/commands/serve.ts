/**
 * `resnet-serve serve`: the server, as `npm start` runs it. Flags only set the configuration
 * variables they name (PORT, HOST, ENGINE, MODEL_PATH...); everything else comes from the environment.
 */
import { configFlagHelp, configFromFlags, EXIT, parseFlags, type Command, type Io } from './command.js';
import { modelFlags, modelFlagsHelp, modelOptions } from './model-flags.js';

const help = `usage: resnet-serve serve [--port N] [--host ADDRESS] [--engine onnx|tfjs] [--model PATH [--preprocess caffe|tf|torch] [--labels FILE] [--output logits|probabilities]] [--model-name NAME]

Starts the HTTP server: POST /predict, the web page at /, API docs at /docs, /healthz, /readyz and
/metrics. It listens at once and loads the model in the background (/readyz turns 200 when it is
ready); SIGTERM or Ctrl-C stops it gracefully. Logs are JSON lines on stdout.

options:
  ${configFlagHelp('-p, --port N', 'PORT')}
  ${configFlagHelp('    --host ADDRESS', 'HOST')}
  ${configFlagHelp('    --engine NAME', 'ENGINE')}
${modelFlagsHelp()}
  -h, --help            show this help

Every other setting comes from its environment variable (see the README's configuration table).
`;

const options = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  engine: { type: 'string' },
  ...modelOptions,
  help: { type: 'boolean', short: 'h', default: false },
} as const;

async function run(args: string[], io: Io): Promise<number | undefined> {
  const { values } = parseFlags(args, options, false);
  if (values.help) {
    io.out(help);
    return EXIT.ok;
  }
  const config = configFromFlags([
    { flag: 'port', env: 'PORT', value: values.port },
    { flag: 'host', env: 'HOST', value: values.host },
    { flag: 'engine', env: 'ENGINE', value: values.engine },
    ...modelFlags(values),
  ]);
  // Loaded on demand: --help and usage errors answer without loading the server and engines.
  const { runServer } = await import('../../serve.js');
  await runServer(config); // returns once listening; the process then lives until a signal
  return undefined;
}

export const serveCommand: Command = { name: 'serve', summary: 'start the HTTP server (API, web page at /, docs at /docs)', help, run };
