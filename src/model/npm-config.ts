/**
 * The user's own npm configuration (registry, scoped registries, auth tokens, proxy, cafile), read
 * the way the npm CLI reads it, so the model tarball comes through whatever the user's `npm install`
 * goes through (a corporate mirror, a proxy with its own CA).
 */
import { createRequire } from 'node:module';
import Config from '@npmcli/config';
import type { Options as FetchOptions } from 'npm-registry-fetch';
import { PROJECT_ROOT } from '../config/config.js';

interface Definitions {
  definitions: Record<string, unknown>;
  shorthands: Record<string, string[]>;
  flatten: (obj: Record<string, unknown>, flat?: Record<string, unknown>) => Record<string, unknown>;
}

// The definitions module has no ESM entry; createRequire is its documented use.
const require = createRequire(import.meta.url);

export async function loadNpmOptions(): Promise<FetchOptions> {
  const { definitions, shorthands, flatten } = require('@npmcli/config/lib/definitions') as Definitions;
  const conf = new Config({ npmPath: PROJECT_ROOT, definitions, shorthands, flatten, argv: [], cwd: PROJECT_ROOT });
  await conf.load();
  return conf.flat as FetchOptions;
}
