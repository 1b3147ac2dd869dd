/** What the `resnet-serve model` commands share: their shape (flags, --help, failures), settings, the descriptor, stderr logging. */
import { loadConfig, type Config } from '../../../config/config.js';
import { StartupError } from '../../../errors.js';
import { readDescriptor, type NpmModelDescriptor } from '../../../model/descriptor.js';
import { EXIT, parseFlags, UsageError, type Command, type Io, type Options } from '../command.js';

export interface ModelContext {
  config: Config;
  descriptor: NpmModelDescriptor;
  /** Progress and notes go to stderr; stdout carries only the result. */
  log: (msg: string) => void;
}

/** A log line to stderr. */
export const stderrLog =
  (io: Io) =>
  (msg: string): void =>
    io.err(`${msg}\n`);

/** The settings (environment) and the descriptor of the model MODEL_NAME names. */
export async function modelContext(io: Io): Promise<ModelContext> {
  const config = loadConfig();
  const descriptor = await readDescriptor(config.modelRepository, config.modelName);
  return { config, descriptor, log: stderrLog(io) };
}

/**
 * A build step fails in one line and exit code 1 whatever went wrong (a conversion error, a file
 * that cannot be written), not only on a StartupError.
 */
async function buildStep<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof StartupError || err instanceof UsageError) throw err;
    throw new StartupError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}

const HELP = { help: { type: 'boolean', short: 'h', default: false } } as const;

/** The parsed flags of a model command with options `O` (and -h/--help). */
export type Flags<O extends Options> = ReturnType<typeof parseFlags<O & typeof HELP>>['values'];

export interface ModelCommandSpec<O extends Options> {
  name: string;
  summary: string;
  help: string;
  options: O;
  /** What the command does once its flags are parsed (and --help was not asked): the exit code. */
  work(flags: Flags<O>, io: Io): Promise<number>;
}

/** A model command: strict flags, -h/--help, and its work as a build step (see buildStep). */
export function modelCommand<const O extends Options>(spec: ModelCommandSpec<O>): Command {
  const run = async (args: string[], io: Io): Promise<number> => {
    const { values } = parseFlags(args, { ...spec.options, ...HELP }, false);
    // TypeScript cannot see `help` through the generic options; HELP guarantees it.
    if ((values as { help?: boolean }).help) {
      io.out(spec.help);
      return EXIT.ok;
    }
    return buildStep(() => spec.work(values, io));
  };
  return { name: spec.name, summary: spec.summary, help: spec.help, run };
}

