/**
 * The default memory budget: what the container may use, minus what the process already holds once
 * the model is loaded, minus a margin for what the budget does not count (V8's heap growth, batch
 * tensors, HTTP buffers, the allocator's slack).
 */
import os from 'node:os';

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
