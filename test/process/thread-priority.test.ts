/**
 * EVENT_LOOP_NICE on the real server process: once the model is ready, the event-loop thread (the
 * one whose thread id is the process id) runs at nice 10, while every other thread (inference,
 * decoding, libvips, V8 helpers) keeps the priority the process started with.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../bench/server-process.js';
import path from 'node:path';
import { readImage, SMOKE } from '../helpers/paths.js';

/** Thread id -> [name, nice], from /proc (the name may hold spaces, so fields count from its ')'). */
function threadNices(pid: number): Map<number, [string, number]> {
  const out = new Map<number, [string, number]>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(tid), [name, Number(fields[16])]); // field 19 of stat: nice
  }
  return out;
}

describe.runIf(process.platform === 'linux')('event-loop thread priority', () => {
  it('lowers only the event-loop thread once ready, and still serves', async () => {
    const server = await startServer({ LOG_LEVEL: 'info' }, { fromSource: true });
    try {
      await server.waitFor(/"msg":"event-loop thread priority lowered/);
      const res = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(readImage(path.join(SMOKE, 'beagle.jpg'))) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { predictions: { label: string }[] }).predictions[0].label).toBe('beagle');

      const base = os.getPriority(); // what the server inherited from this process
      const pid = server.child.pid as number;
      const threads = threadNices(pid);
      expect(threads.get(pid)?.[1]).toBe(Math.max(10, base));
      const others = [...threads].filter(([tid]) => tid !== pid);
      expect(others.length).toBeGreaterThan(3); // engine worker, its intra-op thread, libuv pool, ...
      expect(others.filter(([, [, nice]]) => nice !== base)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
