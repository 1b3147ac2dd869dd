#!/usr/bin/env node
/**
 * `resnet-serve`: the command line (package.json `bin`). Picks the command, runs it and turns the
 * outcome into an exit code: 0 ok, 1 a failure, 2 usage. The exit code is set rather than forced
 * (process.exitCode), so piped output is always flushed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/config.js';
import { StartupError } from '../errors.js';
import { classifyCommand } from './commands/classify.js';
import { commandList, EXIT, processIo, UsageError, type Command, type Io } from './commands/command.js';
import { modelCommand } from './commands/model/index.js';
import { serveCommand } from './commands/serve.js';

const COMMANDS: readonly Command[] = [classifyCommand, serveCommand, modelCommand];

function programHelp(): string {
  const list = commandList(COMMANDS);
  return `usage: resnet-serve <command> [options]

Classifies images with the model MODEL_NAME names (Keras ResNet50 on ImageNet by default), from the
command line or over HTTP, and fetches and builds that model ahead of time.

commands:
${list}
  help      show a command's help: resnet-serve help <command>

options:
  -h, --help     show this help
  -v, --version  print the version

Settings come from environment variables (see the README); flags override the ones they name.
Run 'resnet-serve <command> --help' for a command's options.
`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return `${pkg.version ?? 'unknown'}\n`;
}

/** Walks the words naming a command down the groups: `model fetch --force` -> [model, fetch], ['--force']. */
function resolve(words: string[]): { path: Command[]; rest: string[] } {
  const path: Command[] = [];
  let choices = COMMANDS;
  let rest = words;
  for (;;) {
    const next = choices.find((c) => c.name === rest[0]);
    if (!next) return { path, rest };
    path.push(next);
    rest = rest.slice(1);
    choices = next.subcommands ?? [];
  }
}

const fullName = (path: readonly Command[]): string => ['resnet-serve', ...path.map((c) => c.name)].join(' ');

async function main(argv: string[], io: Io): Promise<number | undefined> {
  const [first, ...rest] = argv;
  let path: Command[] = [];
  try {
    if (first === undefined) throw new UsageError('no command given');
    if (first === '-h' || first === '--help') {
      io.out(programHelp());
      return EXIT.ok;
    }
    if (first === '-v' || first === '--version') {
      io.out(version());
      return EXIT.ok;
    }
    if (first === 'help') {
      const topic = resolve(rest);
      if (topic.rest.length > 0) throw new UsageError(`unknown command '${rest.join(' ')}'`);
      io.out(topic.path.at(-1)?.help ?? programHelp());
      return EXIT.ok;
    }
    if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' (the command comes first)`);
    const found = resolve(argv);
    path = found.path;
    const command = path.at(-1);
    if (!command) throw new UsageError(`unknown command '${first}'`);
    return await command.run(found.rest, io);
  } catch (err) {
    const who = fullName(path);
    if (err instanceof UsageError) {
      io.err(`${who}: ${err.message}\nRun '${who} --help' for usage.\n`);
      return EXIT.usage;
    }
    if (err instanceof StartupError) {
      io.err(`${who}: ${err.message}\n`);
      return EXIT.failed;
    }
    throw err;
  }
}

// `| head` closing stdout early is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT.ok);
  throw err;
});

const code = await main(process.argv.slice(2), processIo);
if (code !== undefined) process.exitCode = code;
