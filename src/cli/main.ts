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
import { EXIT, processIo, UsageError, type Command, type Io } from './commands/command.js';
import { serveCommand } from './commands/serve.js';

const COMMANDS: readonly Command[] = [classifyCommand, serveCommand];

function programHelp(): string {
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join('\n');
  return `usage: resnet-serve <command> [options]

Classifies images with Keras ResNet50 (ImageNet, 1000 classes), from the command line or over HTTP.

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

const find = (name: string): Command | undefined => COMMANDS.find((c) => c.name === name);

async function main(argv: string[], io: Io): Promise<number | undefined> {
  const [first, ...rest] = argv;
  let command: Command | undefined;
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
      const topic = rest[0] === undefined ? undefined : find(rest[0]);
      if (rest[0] !== undefined && !topic) throw new UsageError(`unknown command '${rest[0]}'`);
      io.out(topic ? topic.help : programHelp());
      return EXIT.ok;
    }
    if (first.startsWith('-')) throw new UsageError(`unknown option '${first}' (the command comes first)`);
    command = find(first);
    if (!command) throw new UsageError(`unknown command '${first}'`);
    return await command.run(rest, io);
  } catch (err) {
    const who = command ? `resnet-serve ${command.name}` : 'resnet-serve';
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
