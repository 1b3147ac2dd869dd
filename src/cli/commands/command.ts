/**
 * What every `resnet-serve` command shares: the command shape, exit codes, strict flag parsing
 * (node:util parseArgs) whose errors are usage errors, and flags that set configuration through
 * the same environment names as the server, so validation and messages are the config module's.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, SETTINGS, type Config } from '../../config/config.js';
import { StartupError } from '../../errors.js';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

export interface Command {
  name: string;
  summary: string;
  help: string;
  /** Resolves to the exit code, or `undefined` when the command keeps running (serve). */
  run(args: string[], io: Io): Promise<number | undefined>;
  /** A group's commands (`resnet-serve model fetch`): the command line picks one by name. */
  subcommands?: readonly Command[];
}

/** Aligned `name  summary` lines, as the help lists commands. */
export const commandList = (commands: readonly Command[]): string => commands.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join('\n');

/** Wrong flags, values or arguments: exit code 2 with a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs in strict mode; its complaints (unknown flag, missing value...) become UsageErrors. */
export function parseFlags<O extends Options>(args: string[], options: O, allowPositionals: boolean) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) throw new UsageError(err.message);
    throw err;
  }
}

/** A flag that sets the configuration variable `env`. */
export interface ConfigFlag {
  flag: string;
  env: string;
  value: string | undefined;
}

/**
 * The configuration from the environment with the flags' values on top. A bad flag value is a
 * UsageError naming the flag; a bad environment value stays a StartupError (as with `npm start`).
 */
export function configFromFlags(flags: readonly ConfigFlag[], env: NodeJS.ProcessEnv = process.env): Config {
  const fromFlags: Record<string, string> = {};
  for (const f of flags) {
    if (f.value === undefined) continue;
    try {
      loadConfig({ [f.env]: f.value }); // this flag alone: any complaint is about it
    } catch (err) {
      if (err instanceof StartupError) throw new UsageError(`${err.message} (--${f.flag})`);
      throw err;
    }
    fromFlags[f.env] = f.value;
  }
  return loadConfig({ ...env, ...fromFlags });
}

/** One help line for a configuration flag, with the variable it sets and its default. */
export function configFlagHelp(flag: string, env: string): string {
  const s = SETTINGS.find((x) => x.env === env);
  if (!s) throw new Error(`no setting ${env}`);
  return `${flag.padEnd(22)}${s.describe.replaceAll('`', '')} (${env}, default ${s.shownDefault})`;
}

/**
 * A command made of commands. The command line runs the one named after the group's name; the
 * group itself only answers --help and complains about a missing or unknown command.
 */
export function commandGroup(name: string, summary: string, about: string, subcommands: readonly Command[]): Command {
  const help = `usage: resnet-serve ${name} <command> [options]

${about}

commands:
${commandList(subcommands)}

Run 'resnet-serve ${name} <command> --help' for a command's options.
`;
  const run = async (args: string[], io: Io): Promise<number> => {
    const [first] = args;
    if (first === '-h' || first === '--help') {
      io.out(help);
      return EXIT.ok;
    }
    if (first === undefined) throw new UsageError(`no ${name} command given`);
    throw new UsageError(first.startsWith('-') ? `unknown option '${first}' (the command comes first)` : `unknown ${name} command '${first}'`);
  };
  return { name, summary, help, run, subcommands };
}
