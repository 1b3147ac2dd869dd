/**
 * The dynamic batcher against a test double engine (`ControlledEngineDouble`): each batch waits
 * until the test releases it, so batch composition is decided by the code, not by timing luck.
 */
import { describe, expect, it } from 'vitest';
import type { BatchInput, BatchOutput } from '../../src/engines/engine.js';
import { AppError } from '../../src/errors.js';
import { DynamicBatcher } from '../../src/service/batcher.js';

const ROW: [number, number, number] = [1, 1, 2]; // 2 values per row

/** Test double: records batches, answers each row with [sum, n] once released. */
class ControlledEngineDouble {
  readonly batches: number[][] = [];
  private releases: (() => void)[] = [];

  run = (input: BatchInput): Promise<BatchOutput> => {
    const n = input.dims[0];
    const rows = Array.from({ length: n }, (_, i) => input.data[i * 2]);
    this.batches.push(rows);
    return new Promise((resolve) => {
      this.releases.push(() => {
        const out = new Float32Array(n * 2);
        rows.forEach((v, i) => out.set([v * 10, n], i * 2));
        resolve({ data: out, dims: [n, 2] });
      });
    });
  };

  /** Lets the oldest running batch finish. */
  async release(): Promise<void> {
    this.releases.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
}

const row = (v: number): Float32Array => Float32Array.from([v, 0]);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('DynamicBatcher', () => {
  it('sends a lone row at once with no delay, then groups what queued meanwhile', async () => {
    const engine = new ControlledEngineDouble();
    const b = new DynamicBatcher(engine.run, { maxBatch: 4, maxDelayMs: 0, maxQueue: 100, rowDims: ROW });
    const results = [1, 2, 3, 4, 5, 6].map((v) => b.submit(row(v)));
    await tick();
    // [1] went alone; [2..5] filled a batch, so it went to the engine behind it at once.
    expect(engine.batches).toEqual([[1], [2, 3, 4, 5]]);
    expect(b.depth).toBe(1);
    await engine.release();
    // [6] alone is a partial batch: it waits for the engine rather than leave early.
    expect(engine.batches).toEqual([[1], [2, 3, 4, 5]]);
    await engine.release();
    expect(engine.batches).toEqual([[1], [2, 3, 4, 5], [6]]);
    await engine.release();
    expect(engine.batches).toEqual([[1], [2, 3, 4, 5], [6]]);
    // Every caller gets its own row's output.
    const outs = await Promise.all(results);
    expect(outs.map((o) => Array.from(o))).toEqual([[10, 1], [20, 4], [30, 4], [40, 4], [50, 4], [60, 1]]);
    await b.idle();
  });

  it('lets a self-writing row (a decoded image) fill its own slot of the batch', async () => {
    const engine = new ControlledEngineDouble();
    const b = new DynamicBatcher(engine.run, { maxBatch: 4, maxDelayMs: 0, maxQueue: 100, rowDims: ROW });
    const slots: number[] = [];
    const selfWriting = { length: 2, writeTo: (t: Float32Array, offset: number) => (slots.push(offset), t.set([7, 0], offset)) };
    const first = b.submit(row(1)); // runs alone; the next three queue and batch together
    const rest = [b.submit(row(2)), b.submit(selfWriting), b.submit(row(3))];
    await engine.release();
    await engine.release();
    expect(engine.batches).toEqual([[1], [2, 7, 3]]);
    expect(slots).toEqual([2]); // second slot of the second batch, 2 values per row
    expect((await Promise.all([first, ...rest])).map((o) => o[0])).toEqual([10, 20, 70, 30]);
  });

  it('hands the engine at most two batches: the running one and the next full one', async () => {
    const engine = new ControlledEngineDouble();
    const waits: number[] = [];
    const b = new DynamicBatcher(engine.run, { maxBatch: 2, maxDelayMs: 0, maxQueue: 100, rowDims: ROW }, { queueWait: (s) => waits.push(s), batchDone: () => {} });
    const results = [1, 2, 3, 4, 5, 6].map((v) => b.submit(row(v)));
    await tick();
    expect(engine.batches).toEqual([[1], [2, 3]]); // [4, 5] is full too, but two are in the engine
    expect(b.depth).toBe(3);
    expect(waits).toHaveLength(1); // [2, 3] has not started: its rows are still waiting
    await engine.release();
    expect(engine.batches).toEqual([[1], [2, 3], [4, 5]]);
    expect(waits).toHaveLength(3);
    await engine.release();
    expect(engine.batches).toEqual([[1], [2, 3], [4, 5]]); // [6] is partial and [4, 5] runs
    await engine.release();
    await engine.release();
    expect(engine.batches).toEqual([[1], [2, 3], [4, 5], [6]]);
    expect((await Promise.all(results)).map((o) => o[0])).toEqual([10, 20, 30, 40, 50, 60]);
    expect(waits).toHaveLength(6);
  });

  it('refuses a row of the wrong size, whatever its kind', async () => {
    const b = new DynamicBatcher(new ControlledEngineDouble().run, { maxBatch: 4, maxDelayMs: 0, maxQueue: 100, rowDims: ROW });
    await expect(b.submit({ length: 3, writeTo: () => {} })).rejects.toThrow(/3 values, expected 2/);
  });

  it('waits up to maxDelayMs for partners when idle, and dispatches early when the batch is full', async () => {
    const engine = new ControlledEngineDouble();
    const b = new DynamicBatcher(engine.run, { maxBatch: 3, maxDelayMs: 10_000, maxQueue: 100, rowDims: ROW });
    const p = [b.submit(row(1)), b.submit(row(2))];
    await tick();
    expect(engine.batches).toEqual([]); // waiting for a third row
    p.push(b.submit(row(3)));
    await tick();
    expect(engine.batches).toEqual([[1, 2, 3]]);
    await engine.release();
    await Promise.all(p);
  });

  it('refuses at once with queue_full when the queue is at its bound', async () => {
    const engine = new ControlledEngineDouble();
    const b = new DynamicBatcher(engine.run, { maxBatch: 1, maxDelayMs: 0, maxQueue: 2, rowDims: ROW });
    // 1 running, 2 handed to the engine behind it, 3 and 4 queued.
    const accepted = [1, 2, 3, 4].map((v) => b.submit(row(v)));
    await tick();
    expect(b.depth).toBe(2);
    const err = await b.submit(row(5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ kind: 'overloaded', code: 'queue_full', retryAfterSeconds: 1 });
    for (let i = 0; i < 4; i++) await engine.release();
    expect((await Promise.all(accepted)).map((o) => o[0])).toEqual([10, 20, 30, 40]);
  });

  it('withdraws an aborted row from the queue without computing it', async () => {
    const engine = new ControlledEngineDouble();
    const b = new DynamicBatcher(engine.run, { maxBatch: 4, maxDelayMs: 0, maxQueue: 10, rowDims: ROW });
    const first = b.submit(row(1));
    await tick();
    const controller = new AbortController();
    const doomed = b.submit(row(2), controller.signal);
    const kept = b.submit(row(3));
    const reason = new AppError('timeout', 'deadline_exceeded', 'late');
    controller.abort(reason);
    await expect(doomed).rejects.toBe(reason);
    expect(b.depth).toBe(1);
    await engine.release();
    await engine.release();
    await Promise.all([first, kept]);
    expect(engine.batches).toEqual([[1], [3]]);
  });

  it('rejects every row of a failed batch and keeps serving', async () => {
    let fail = true;
    const run = async (input: BatchInput): Promise<BatchOutput> => {
      if (fail) throw new Error('engine exploded');
      return { data: new Float32Array(input.dims[0] * 2), dims: [input.dims[0], 2] };
    };
    const b = new DynamicBatcher(run, { maxBatch: 4, maxDelayMs: 0, maxQueue: 10, rowDims: ROW });
    await expect(b.submit(row(1))).rejects.toThrow('engine exploded');
    fail = false;
    await expect(b.submit(row(2))).resolves.toHaveLength(2);
  });

  it('idle() resolves only after queued work is done', async () => {
    const engine = new ControlledEngineDouble();
    const b = new DynamicBatcher(engine.run, { maxBatch: 1, maxDelayMs: 0, maxQueue: 10, rowDims: ROW });
    void b.submit(row(1));
    void b.submit(row(2));
    let idle = false;
    void b.idle().then(() => (idle = true));
    await engine.release();
    expect(idle).toBe(false);
    await engine.release();
    await tick();
    expect(idle).toBe(true);
  });

  it('rejects rows of the wrong size', async () => {
    const b = new DynamicBatcher(new ControlledEngineDouble().run, { maxBatch: 1, maxDelayMs: 0, maxQueue: 10, rowDims: ROW });
    await expect(b.submit(new Float32Array(3))).rejects.toThrow(/expected 2/);
  });
});
