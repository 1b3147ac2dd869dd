/**
 * The default memory budget: what the container may use, minus what the process already holds once
 * the model is loaded, minus a margin for what the budget does not count (V8's heap growth, batch
 * tensors, HTTP buffers, the allocator's slack).
 */
import os from 'node:os';

/** Never less than this margin: small containers have least room for estimation error. */
export const MIN_MARGIN_BYTES = 128 * 1024 * 1024;
/** Share of the limit kept out of the budget. */
export const MARGIN_SHARE = 0.15;
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

/** Budget = limit - resident baseline - margin (at least MIN_BUDGET_BYTES). */
export function defaultBudget(limitBytes: number, baselineRss: number): number {
  const margin = Math.max(MIN_MARGIN_BYTES, Math.round(limitBytes * MARGIN_SHARE));
  return Math.max(MIN_BUDGET_BYTES, limitBytes - baselineRss - margin);
}
