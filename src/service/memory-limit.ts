/**
 * The process's memory figures: the limit it may use; the default request budget (the limit, minus
 * what the process already holds once the models are loaded, minus a margin for what the budget does
 * not count: V8's heap growth, batch tensors, HTTP buffers, the allocator's slack); and whether one
 * more model version fits.
 */
import os from 'node:os';
import { StartupError } from '../errors.js';

/** Never less than this margin: small containers have least room for estimation error. */
export const MIN_MARGIN_BYTES = 128 * 1024 * 1024;
/**
 * Share of what is left above the resident baseline that the budget hands out. The rest covers what
 * it does not count: the allocator's slack (glibc keeps freed decode buffers in its arenas), a body
 * parser's copy of an upload, V8's heap growth, batch tensors. Measured under `npm run bench:hostile`
 * (1 GiB container): with 85 % of the limit handed out, real use reached the limit (OOM kill).
 */
export const BUDGET_SHARE = 0.5;
/** Whatever is measured, the budget leaves room for at least one worst-case upload and decode. */
export const MIN_BUDGET_BYTES = 64 * 1024 * 1024;

export interface MemoryLimit {
  bytes: number;
  source: 'cgroup' | 'machine';
}

/**
 * The memory this process may use: the cgroup limit (v2 `memory.max` or v1 `memory.limit_in_bytes`,
 * nested paths included) as libuv reads it (`process.constrainedMemory()`), else the machine's.
 * libuv's reader is used rather than parsing /sys by hand: it follows /proc/self/cgroup to the
 * process's own cgroup, which a fixed path to the root misses outside Docker.
 */
export function memoryLimit(constrained: () => number = () => process.constrainedMemory(), total: () => number = () => os.totalmem()): MemoryLimit {
  const machine = total();
  const limit = constrained();
  // "No limit" reads as 0 or as a huge number (v1: 2^63 rounded to pages; v2: UINT64_MAX).
  if (limit > 0 && limit < machine) return { bytes: limit, source: 'cgroup' };
  return { bytes: machine, source: 'machine' };
}

/** Budget = BUDGET_SHARE of (limit - resident baseline - MIN_MARGIN_BYTES), at least MIN_BUDGET_BYTES. */
export function defaultBudget(limitBytes: number, baselineRss: number): number {
  return Math.max(MIN_BUDGET_BYTES, Math.round((limitBytes - baselineRss - MIN_MARGIN_BYTES) * BUDGET_SHARE));
}

/**
 * What a loaded model version holds, estimated from its model file before loading it: ONNX
 * Runtime's copy of the weights and its prepacked kernels, plus activations at batch 8 and the
 * engine's worker thread. Measured with ResNet50 (docs/limits.md): fp32, 97 MB file: +330 MB
 * resident; int8, 25 MB: +114 MB; both within 5 % of this estimate.
 */
export function residentEstimate(modelBytes: number): number {
  return Math.round(modelBytes * 2.75) + 64 * 1024 * 1024;
}

/**
 * Refuses a model version that would not fit: what the process holds now, plus the version's
 * estimated memory, plus the margin, plus what requests are promised (`reserve`), must stay under
 * the limit. At start this refuses a repository too large for its container before an OOM kill
 * could; later, a swap that would not fit beside the serving version.
 */
export function checkModelFits(model: { name: string; version: string }, modelBytes: number, room: { limit: MemoryLimit; resident: number; reserve: number }): void {
  const need = residentEstimate(modelBytes);
  const { limit, resident, reserve } = room;
  if (need <= limit.bytes - resident - MIN_MARGIN_BYTES - reserve) return;
  const mb = (n: number): string => `${Math.round(n / 1048576)} MB`;
  throw new StartupError(
    `model '${model.name}' version ${model.version} needs about ${mb(need)} once loaded (from its ${mb(modelBytes)} model file); ` +
      `the process holds ${mb(resident)} of its ${mb(limit.bytes)} memory limit (${limit.source}) and keeps ${mb(MIN_MARGIN_BYTES)} margin and ${mb(reserve)} for requests: raise the memory limit or serve fewer models`,
  );
}
