/**
 * EVENT_LOOP_NICE (opt-in) on the real server process: once the model is ready, the event-loop
 * thread (the one whose thread id is the process id) runs at nice 10, while every other thread
 * (inference, decoding, libvips, V8 helpers) keeps the priority the process started with.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { startServer, statFields } from '../helpers/server-process.js';
import path from 'node:path';
import { readImage, SMOKE } from '../helpers/paths.js';

/** Thread id -> nice, from /proc. */
function threadNices(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    out.set(Number(tid), Number(statFields(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'))[16])); // field 19: nice
  }
  return out;
}

describe.runIf(process.platform === 'linux')('event-loop thread priority', () => {
  it('lowers only the event-loop thread once ready, and still serves', async () => {
    const server = await startServer({ LOG_LEVEL: 'info', EVENT_LOOP_NICE: '10' }, { fromSource: true });
    try {
      await server.waitFor(/"msg":"event-loop thread priority lowered/);
      const res = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(readImage(path.join(SMOKE, 'beagle.jpg'))) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { predictions: { label: string }[] }).predictions[0].label).toBe('beagle');

      const base = os.getPriority(); // what the server inherited from this process
      const pid = server.child.pid as number;
      const threads = threadNices(pid);
      expect(threads.get(pid)).toBe(Math.max(10, base));
      const others = [...threads].filter(([tid]) => tid !== pid);
      expect(others.length).toBeGreaterThan(3); // engine worker, its intra-op thread, libuv pool, ...
      expect(others.filter(([, nice]) => nice !== base)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
