/**
 * A folder of cached build products for one model version, keyed by content: the first start
 * converts, the next finds the files. When the cache folder is read-only (a container), products go
 * to the temp folder instead, as the npm model's conversions do.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { intact, writeAtomically } from './atomic-file.js';

/**
 * Errors that mean "this folder cannot take the file": read-only (EROFS, EACCES, EPERM) or not
 * creatable (ENOENT: on a read-only container filesystem, mkdir of a missing folder can fail so).
 */
const UNWRITABLE = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOENT', 'ENOTDIR']);

export class BuildCache {
  private readonly dirs: string[];

  /** `rel`: the folder under the cache (and under the temp fallback), e.g. `files/mymodel/2`. */
  constructor(cacheDir: string, rel: string) {
    this.dirs = [path.join(cacheDir, rel), path.join(os.tmpdir(), 'resnet-serve', rel)];
  }

  /** The intact cached file `name`, or undefined. */
  async find(name: string): Promise<string | undefined> {
    for (const dir of this.dirs) {
      const file = path.join(dir, name);
      if (await intact(file)) return file;
    }
    return undefined;
  }

  async findText(name: string): Promise<string | undefined> {
    const file = await this.find(name);
    return file === undefined ? undefined : readFile(file, 'utf8');
  }

  /** Stores `bytes` as `name` and drops what `keep` rejects (older builds); returns where it went. */
  async store(name: string, bytes: Uint8Array | string, keep: (file: string) => boolean, log?: (msg: string) => void): Promise<string> {
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    for (const [i, dir] of this.dirs.entries()) {
      const file = path.join(dir, name);
      try {
        await writeAtomically(file, data);
        for (const f of await readdir(dir).catch(() => [] as string[])) {
          if (!keep(f.replace(/\.sha256$/, ''))) await rm(path.join(dir, f), { force: true });
        }
        return file;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (!UNWRITABLE.has(code) || i === this.dirs.length - 1) throw err;
        log?.(`model cache ${dir} is not writable (${code}); caching in ${this.dirs[i + 1]}`);
      }
    }
    throw new Error('unreachable');
  }
}
