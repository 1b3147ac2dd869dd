/** The flags that choose the model to serve (`serve`, `classify`): each sets its environment variable. */
import { configFlagHelp, type ConfigFlag } from './command.js';

export const modelOptions = {
  model: { type: 'string' },
  'model-name': { type: 'string' },
  preprocess: { type: 'string' },
  labels: { type: 'string' },
  output: { type: 'string' },
} as const;

const FLAGS = [
  { flag: 'model', env: 'MODEL_PATH', help: '    --model PATH' },
  { flag: 'model-name', env: 'MODEL_NAME', help: '    --model-name NAME' },
  { flag: 'preprocess', env: 'PREPROCESS', help: '    --preprocess P' },
  { flag: 'labels', env: 'LABELS', help: '    --labels FILE' },
  { flag: 'output', env: 'OUTPUT', help: '    --output KIND' },
] as const;

type ModelFlagValues = { [K in keyof typeof modelOptions]?: string };

export function modelFlags(values: ModelFlagValues): ConfigFlag[] {
  return FLAGS.map((f) => ({ flag: f.flag, env: f.env, value: values[f.flag] }));
}

/** Help lines, indented as the commands' option lists. */
export const modelFlagsHelp = (): string => FLAGS.map((f) => `  ${configFlagHelp(f.help, f.env)}`).join('\n');
