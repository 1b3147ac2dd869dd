/**
 * The batcher's tracing hooks (BatchTracer), against a recording test double and engine functions
 * that answer at once or fail: what the tracer returns at submit reaches the batch that serves the
 * row, in batch order, and every batch's end is reported once, with the engine's error if any.
 * (The OpenTelemetry side is checked end to end in test/telemetry/tracing.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { BatchInput, BatchOutput } from '../../src/engines/engine.js';
import { DynamicBatcher, type BatchTracer } from '../../src/service/batcher.js';

const ROW: [number, number, number] = [1, 1, 1];

/** Test double: numbers rows at submit, records batches and their ends. */
class RecordingTracerDouble implements BatchTracer {
  private next = 0;
  readonly batches: unknown[][] = [];
  readonly ends: (string | undefined)[] = [];
  enqueued(): string {
    return `row${this.next++}`;
  }
  started(rows: readonly unknown[]): (error?: unknown) => void {
    this.batches.push([...rows]);
    return (error) => this.ends.push(error === undefined ? undefined : (error as Error).message);
  }
}

const echo = async (input: BatchInput): Promise<BatchOutput> => ({ data: input.data.slice(), dims: [input.dims[0], 1] });

describe('DynamicBatcher tracing hooks', () => {
  it('hands each batch the values its rows got at submit, and reports its end', async () => {
    const tracer = new RecordingTracerDouble();
    const batcher = new DynamicBatcher(echo, { maxBatch: 2, maxDelayMs: 10_000, maxQueue: 8, rowDims: ROW }, undefined, tracer);
    const out = await Promise.all([1, 2, 3, 4].map((v) => batcher.submit(Float32Array.of(v))));
    expect(out.map((o) => o[0])).toEqual([1, 2, 3, 4]);
    expect(tracer.batches).toEqual([
      ['row0', 'row1'],
      ['row2', 'row3'],
    ]);
    expect(tracer.ends).toEqual([undefined, undefined]);
  });

  it('reports a failed batch with the engine error', async () => {
    const tracer = new RecordingTracerDouble();
    const failing = async (): Promise<BatchOutput> => Promise.reject(new Error('engine died'));
    const batcher = new DynamicBatcher(failing, { maxBatch: 1, maxDelayMs: 0, maxQueue: 8, rowDims: ROW }, undefined, tracer);
    await expect(batcher.submit(Float32Array.of(1))).rejects.toThrow('engine died');
    await batcher.idle();
    expect(tracer.batches).toEqual([['row0']]);
    expect(tracer.ends).toEqual(['engine died']);
  });
});
