/** What the `resnet-serve model` commands share: settings, the descriptor, logging to stderr. */
import { loadConfig, type Config } from '../../../config/config.js';
import { StartupError } from '../../../errors.js';
import { readDescriptor, type ModelDescriptor } from '../../../model/descriptor.js';
import { UsageError, type Io } from '../command.js';

export interface ModelContext {
  config: Config;
  descriptor: ModelDescriptor;
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
export async function buildStep<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof StartupError || err instanceof UsageError) throw err;
    throw new StartupError(err instanceof Error ? err.message : String(err), { cause: err });
  }
}
