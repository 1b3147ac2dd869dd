/**
 * Cached build products: written atomically with a `.sha256` sidecar, so that a reader sees the
 * whole file or none, and a corrupted file is caught at start instead of served.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../errors.js';
import { sha256File } from '../model/cache.js';

/** True when `file` and its sidecar are there and agree; throws when they disagree (corruption). */
export async function intact(file: string): Promise<boolean> {
  const want = await readFile(`${file}.sha256`, 'utf8').then((s) => s.trim(), () => undefined);
  if (want === undefined) return false;
  const got = await sha256File(file).catch(() => undefined);
  if (got === undefined) return false;
  if (got !== want) throw new StartupError(`cached build ${file} is corrupt (sha256 mismatch); delete it to rebuild`);
  return true;
}

/** Writes atomically: a reader sees the whole file or none, even if we crash half-way. */
export async function writeAtomically(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, bytes);
    await writeFile(`${file}.sha256`, createHash('sha256').update(bytes).digest('hex'));
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}

