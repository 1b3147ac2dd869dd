/**
 * CPUs this process may really use. In a container, os.availableParallelism() reports the node's
 * cores, not the pod's CPU limit; oversubscribing threads past the cgroup quota makes inference
 * slower (throttling), so the quota wins when it is lower.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** CPU quota from cgroup v2 (`cpu.max`) or v1 (`cpu.cfs_quota_us`), rounded up; undefined when unlimited. */
export function cgroupCpuQuota(root = '/sys/fs/cgroup'): number | undefined {
  const v2 = readText(`${root}/cpu.max`);
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    if (quota === 'max' || quota === undefined || period === undefined) return undefined;
    return Math.max(1, Math.ceil(Number(quota) / Number(period)));
  }
  const quota = Number(readText(`${root}/cpu/cpu.cfs_quota_us`) ?? readText(`${root}/cpu.cfs_quota_us`));
  const period = Number(readText(`${root}/cpu/cpu.cfs_period_us`) ?? readText(`${root}/cpu.cfs_period_us`));
  if (!Number.isFinite(quota) || quota <= 0 || !Number.isFinite(period) || period <= 0) return undefined;
  return Math.max(1, Math.ceil(quota / period));
}

export function availableCpus(): number {
  const cores = os.availableParallelism();
  const quota = cgroupCpuQuota();
  return quota === undefined ? cores : Math.min(cores, quota);
}
