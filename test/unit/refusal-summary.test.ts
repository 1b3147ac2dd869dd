/** RefusalSummary: one warning when refusals start, then one summary per interval while they last. */
import type { FastifyBaseLogger } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RefusalSummary } from '../../src/http/access-log.js';

/** Test double: records warn() calls; nothing else is expected. */
function loggerDouble(): { log: FastifyBaseLogger; warned: { obj: Record<string, unknown>; msg: string }[] } {
  const warned: { obj: Record<string, unknown>; msg: string }[] = [];
  const unexpected = (): never => {
    throw new Error('unexpected log level');
  };
  const log = { warn: (obj: Record<string, unknown>, msg: string) => warned.push({ obj, msg }), info: unexpected, error: unexpected, debug: unexpected } as unknown as FastifyBaseLogger;
  return { log, warned };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('RefusalSummary', () => {
  it('warns at the first refusal, then summarises each interval, then goes quiet', () => {
    const { log, warned } = loggerDouble();
    const s = new RefusalSummary(10_000);
    for (let i = 0; i < 5; i++) s.count(log, 'queue_full');
    expect(warned).toHaveLength(1);
    expect(warned[0].msg).toMatch(/refusing new requests with 503 \(queue_full\)/);

    vi.advanceTimersByTime(10_000);
    expect(warned).toHaveLength(2);
    expect(warned[1].obj).toEqual({ code: 'queue_full', refused: 4, seconds: 10 });
    expect(warned[1].msg).toBe('overloaded: refused 4 requests in the last 10 s (queue_full)');

    for (let i = 0; i < 3; i++) s.count(log, 'queue_full');
    vi.advanceTimersByTime(10_000);
    expect(warned[2].obj).toMatchObject({ refused: 3 });

    // A quiet interval ends the episode without a line; the next refusal warns at once.
    vi.advanceTimersByTime(10_000);
    expect(warned).toHaveLength(3);
    s.count(log, 'queue_full');
    expect(warned).toHaveLength(4);
    expect(warned[3].msg).toMatch(/refusing new requests/);
    s.stop();
  });

  it('stop() cancels the pending summary', () => {
    const { log, warned } = loggerDouble();
    const s = new RefusalSummary(1_000);
    s.count(log, 'queue_full');
    s.count(log, 'queue_full');
    s.stop();
    vi.advanceTimersByTime(5_000);
    expect(warned).toHaveLength(1);
  });
});
