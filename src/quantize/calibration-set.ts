/**
 * A folder of calibration images: every supported raster file under it (recursively, so an
 * ImageNet-style `class/image.jpg` tree works), sniffed by content like uploads are, plus a digest of
 * their contents that changes when any image is added, removed or edited.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from '../errors.js';
import { sniffImageFormat } from '../preprocess/sniff.js';

export interface CalibrationSet {
  folder: string;
  /** Absolute paths, sorted. */
  files: string[];
  /** sha256 over the sorted per-image content hashes (names do not matter, contents do). */
  digest: string;
  /** Files skipped because they are not a supported image. */
  skipped: number;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Reads the folder named by QUANT_CALIBRATION; a missing, unreadable or image-less folder is a StartupError. */
export async function readCalibrationSet(folder: string, setting = folder): Promise<CalibrationSet> {
  const abs = path.resolve(folder);
  const info = await stat(abs).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new StartupError(`QUANT_CALIBRATION=${setting}: ${abs} is not a folder; use \`data-free\` or a folder of calibration images`);
  }
  let candidates: string[];
  try {
    candidates = (await walk(abs)).sort();
  } catch (err) {
    throw new StartupError(`QUANT_CALIBRATION=${setting}: cannot read ${abs}: ${(err as Error).message}`, { cause: err });
  }
  const files: string[] = [];
  const hashes: string[] = [];
  for (const f of candidates) {
    const bytes = await readFile(f);
    if (!sniffImageFormat(bytes)) continue;
    files.push(f);
    hashes.push(createHash('sha256').update(bytes).digest('hex'));
  }
  if (files.length === 0) {
    throw new StartupError(`QUANT_CALIBRATION=${setting}: no images (JPEG, PNG, WebP, GIF, TIFF, AVIF) in ${abs}`);
  }
  const digest = createHash('sha256').update(hashes.sort().join('\n')).digest('hex');
  return { folder: abs, files, digest, skipped: candidates.length - files.length };
}
