/**
 * `resnet-serve classify <image>...`: classifies local files in this process, no server. Builds the
 * same InferenceService the server uses, so limits, errors and results are the API's. stdout
 * carries only results (a table, or one JSON document with --json); progress and per-file errors
 * go to stderr.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Config } from '../../config/config.js';
import { AppError, StartupError } from '../../errors.js';
import { progressReporter } from '../../model/progress.js';
import type { InferenceService } from '../../service/inference-service.js';
import type { Prediction } from '../../service/topk.js';
import { formatPercent, table, type Table } from '../format-table.js';
import { configFlagHelp, configFromFlags, EXIT, parseFlags, UsageError, type Command, type Io } from './command.js';
import { modelFlags, modelFlagsHelp, modelOptions } from './model-flags.js';

/** Files in flight at once: enough to keep the engine's batcher fed, few enough to bound memory. */
const CONCURRENCY = 4;

export interface FileError {
  code: string;
  message: string;
}

export type FileResult = { file: string; predictions: Prediction[] } | { file: string; error: FileError };

const help = `usage: resnet-serve classify <image>... [--topk N] [--json] [--engine onnx|tfjs] [--model PATH [--preprocess P] [--labels FILE] [--output KIND]]

Classifies local image files without a server: loads the model (downloading it on first use),
prints each file's most likely classes, and exits.

options:
  -k, --topk N          classes per image, 1 to the model's class count (default 5)
      --json            print one JSON document: [{file, predictions} | {file, error: {code, message}}]
  ${configFlagHelp('    --engine NAME', 'ENGINE')}
${modelFlagsHelp()}
  -h, --help            show this help

Other settings (MODEL_CACHE_DIR, THREADS, RESIZE_MODE, ...) come from the environment, as for the
server. Progress and errors go to stderr; stdout carries only results.

exit codes: 0 every file classified; 1 a file could not be classified (the others are still
printed) or the model failed to load; 2 usage error
`;

const options = {
  topk: { type: 'string', short: 'k' },
  json: { type: 'boolean', default: false },
  engine: { type: 'string' },
  ...modelOptions,
  help: { type: 'boolean', short: 'h', default: false },
} as const;

async function run(args: string[], io: Io): Promise<number> {
  const { values, positionals: files } = parseFlags(args, options, true);
  if (values.help) {
    io.out(help);
    return EXIT.ok;
  }
  if (files.length === 0) throw new UsageError('no image files given');
  // Its upper bound is the model's class count (descriptor `output.classes`), checked once loaded.
  const topk = values.topk === undefined ? 5 : Number(values.topk);
  if (!/^[0-9]+$/.test(values.topk ?? '5') || topk < 1) throw new UsageError(`invalid --topk=${JSON.stringify(values.topk)}: expected an integer from 1 to the model's class count`);
  const config = configFromFlags([{ flag: 'engine', env: 'ENGINE', value: values.engine }, ...modelFlags(values)]);

  // Missing or unreadable files are known before the model loads; if nothing is left, it never loads.
  const problems = await Promise.all(files.map(checkFile));
  const needsModel = problems.some((p) => p === undefined);
  const service = needsModel ? await loadService(config, io) : undefined;
  if (needsModel && !service) return EXIT.failed;
  const classes = service?.model?.labels.length;
  if (classes !== undefined && topk > classes && values.topk !== undefined) {
    await service?.stop();
    throw new UsageError(`invalid --topk=${JSON.stringify(values.topk)}: expected an integer from 1 to ${classes} (the classes of ${service?.model?.descriptor.name})`);
  }

  const output = values.json ? jsonOutput(io) : tableOutput(io, files, service?.model?.labels ?? []);
  let failed = 0;
  try {
    const pending = inOrder(files, CONCURRENCY, (file, i) => {
      const problem = problems[i];
      if (problem || !service) return Promise.resolve({ file, error: problem ?? internal('the model is not loaded') });
      return classifyFile(service, file, topk);
    });
    for (const result of pending) {
      const r = await result;
      if ('error' in r) failed += 1;
      output.add(r);
    }
  } finally {
    await service?.stop();
  }
  output.end();
  if (failed > 0 && !values.json) io.err(`${failed} of ${files.length} file${files.length === 1 ? '' : 's'} could not be classified\n`);
  return failed > 0 ? EXIT.failed : EXIT.ok;
}

async function loadService(config: Config, io: Io): Promise<InferenceService | undefined> {
  // Loaded on demand: --help and usage errors answer without loading sharp and the engines.
  const { InferenceService } = await import('../../service/inference-service.js');
  const service = new InferenceService(config);
  const log = (msg: string): void => io.err(`${msg}\n`);
  try {
    await service.start({ log, onProgress: progressReporter('model download', log) });
    return service;
  } catch (err) {
    io.err(`resnet-serve classify: cannot load the model: ${(err as Error).message}\n`);
    await service.stop().catch(() => undefined);
    return undefined;
  }
}

const internal = (message: string): FileError => ({ code: 'internal_error', message });

async function checkFile(file: string): Promise<FileError | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? undefined : { code: 'not_a_file', message: 'not a regular file' };
  } catch (err) {
    return fileError(err);
  }
}

function fileError(err: unknown): FileError {
  const code = (err as NodeJS.ErrnoException).code;
  // The file is reported beside the error, so messages need not repeat it.
  if (code === 'ENOENT') return { code: 'file_not_found', message: 'no such file' };
  if (code === 'EACCES' || code === 'EPERM') return { code: 'file_unreadable', message: 'permission denied' };
  if (code === 'EISDIR') return { code: 'not_a_file', message: 'not a regular file' };
  return { code: 'file_unreadable', message: `cannot read it: ${(err as Error).message}` };
}

async function classifyFile(service: InferenceService, file: string, topk: number): Promise<FileResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    return { file, error: fileError(err) };
  }
  try {
    const result = await service.classify(bytes, topk);
    return { file, predictions: result.predictions };
  } catch (err) {
    if (err instanceof AppError) return { file, error: { code: err.code, message: err.message } };
    if (err instanceof StartupError) return { file, error: { code: 'model_failed', message: err.message } };
    return { file, error: internal((err as Error).message) };
  }
}

/** Runs `fn` over `items` with at most `limit` at once; the promises keep the input order. */
function inOrder<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R>[] {
  const settlers: Array<(r: Promise<R>) => void> = [];
  const out = items.map(() => new Promise<R>((resolve) => settlers.push(resolve)));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const p = fn(items[i], i);
      settlers[i](p);
      await p.catch(() => undefined);
    }
  };
  for (let w = 0; w < Math.min(limit, items.length); w++) void worker();
  return out;
}

interface Output {
  add(r: FileResult): void;
  end(): void;
}

function jsonOutput(io: Io): Output {
  const all: FileResult[] = [];
  return {
    add: (r) => void all.push(r),
    end: () => io.out(`${JSON.stringify(all, null, 2)}\n`),
  };
}

function tableOutput(io: Io, files: readonly string[], labels: readonly string[]): Output {
  const t: Table = table([
    { title: 'FILE', width: Math.max(...files.map((f) => f.length)), align: 'left' },
    { title: 'RANK', width: 4, align: 'right' },
    { title: 'LABEL', width: Math.max(0, ...labels.map((l) => l.length)), align: 'left' },
    { title: 'PROBABILITY', width: 8, align: 'right' },
  ]);
  let headed = false;
  return {
    add: (r) => {
      if ('error' in r) {
        io.err(`resnet-serve classify: ${r.file}: ${r.error.message} (${r.error.code})\n`);
        return;
      }
      if (!headed) io.out(t.header());
      headed = true;
      r.predictions.forEach((p, i) => io.out(t.row([i === 0 ? r.file : '', String(i + 1), p.label, formatPercent(p.probability)])));
    },
    end: () => {},
  };
}

export const classifyCommand: Command = { name: 'classify', summary: 'classify local image files (no server needed)', help, run };
