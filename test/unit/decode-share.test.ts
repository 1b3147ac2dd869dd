/**
 * The expensive decode lane's time share (src/service/time-share.ts, src/service/decode-scheduler.ts):
 * driven by a manual clock, no sleeps; asserts which decodes start, in what order, and which are
 * refused.
 */
import { describe, expect, it } from 'vitest';
import { DecodeScheduler, EXPENSIVE_SHARE, SHARE_QUIET_MS, SHARE_WINDOW_MS } from '../../src/service/decode-scheduler.js';
import { MemoryBudget } from '../../src/service/memory-budget.js';
import { TimeShare } from '../../src/service/time-share.js';
import { ManualClock } from '../helpers/manual-clock.js';

const MB = 1024 * 1024;
const BIG = { bytes: 100 * MB, expensive: true };
const SMALL = { bytes: MB, expensive: false };

/** A decode the test finishes by hand. */
function manual(): { work: () => Promise<string>; started: boolean; finish: () => void } {
  let resolve: (v: string) => void = () => {};
  const m = {
    started: false,
    work: () => {
      m.started = true;
      return new Promise<string>((res) => (resolve = res));
    },
    finish: () => resolve('done'),
  };
  return m;
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function scheduler(opts: { othersBusy?: () => boolean; maxWaitMs?: number; slots?: number } = {}) {
  const clock = new ManualClock();
  const s = new DecodeScheduler(new MemoryBudget(1000 * MB), {
    slots: opts.slots ?? 2,
    expensiveSlots: 1,
    maxWaitMs: opts.maxWaitMs ?? 600_000,
    othersBusy: opts.othersBusy ?? (() => true),
    clock,
  });
  return { s, clock };
}

describe('TimeShare', () => {
  const opts = { share: 0.25, windowMs: 4000, quietMs: 1000 };

  it('allows a burst of share x window, then one core-ms per 1/share ms of wall time', () => {
    const clock = new ManualClock();
    const share = new TimeShare(opts, clock);
    expect(share.allowanceMs).toBe(1000);
    const end = share.begin(true);
    clock.advance(3000); // a 3 s decode, beside other work from start to end
    expect(share.waitMs(true)).toBe(Number.POSITIVE_INFINITY); // in debt, still running: wait for its end
    end(true);
    expect(share.allowanceMs).toBe(1000 + 3000 * (0.25 - 1));
    expect(share.waitMs(true)).toBe(1250 / 0.25); // earns the 1250 ms back at a quarter
    clock.advance(4999);
    expect(share.waitMs(true)).toBeGreaterThan(0);
    clock.advance(1);
    expect(share.waitMs(true)).toBe(0);
  });

  it('holds its share over tasks longer than the window: 25 % of the time, not "a few seconds" each', () => {
    const clock = new ManualClock();
    const share = new TimeShare(opts, clock);
    const starts: number[] = [];
    while (starts.length < 6) {
      const wait = share.waitMs(true);
      if (wait > 0) {
        clock.advance(wait);
        continue;
      }
      starts.push(clock.now());
      const end = share.begin(true);
      clock.advance(6000); // each task 6 s, longer than the 4 s window
      end(true);
    }
    const gaps = starts.slice(1).map((t, i) => t - starts[i]);
    // The first gap is shorter by the burst (1 s of a core = 4 s at a quarter); then 6 s in 24.
    expect(gaps).toEqual([20_000, 24_000, 24_000, 24_000, 24_000]);
  });

  it('applies only while other work competes: alone, tasks run back to back, and the debt is forgiven', () => {
    const clock = new ManualClock();
    const share = new TimeShare(opts, clock);
    const first = share.begin(false);
    clock.advance(3000);
    first(false);
    expect(share.waitMs(false)).toBe(0);
    expect(share.allowanceMs).toBe(0);
    // Other work arrives: the lane starts from zero, not from 2 s of debt.
    const second = share.begin(true);
    clock.advance(1000);
    second(true);
    expect(share.waitMs(true)).toBe(750 / 0.25);
  });

  it('keeps the share for quietMs after the other work was last seen', () => {
    const clock = new ManualClock();
    const share = new TimeShare(opts, clock);
    const end = share.begin(true);
    clock.advance(3000);
    end(true);
    clock.advance(999);
    expect(share.waitMs(false)).toBeGreaterThan(0); // competed 999 ms ago
    clock.advance(1);
    expect(share.waitMs(false)).toBe(0);
  });

  it('refuses a share outside (0, 1]', () => {
    expect(() => new TimeShare({ ...opts, share: 0 }, new ManualClock())).toThrow(RangeError);
    expect(() => new TimeShare({ ...opts, share: 1.5 }, new ManualClock())).toThrow(RangeError);
  });
});

describe('DecodeScheduler: the expensive lane within its time share', () => {
  const burstMs = EXPENSIVE_SHARE * SHARE_WINDOW_MS;

  it('after a long expensive decode, cheap ones start at once and the next expensive one waits for its share', async () => {
    const { s, clock } = scheduler();
    const big = [manual(), manual()];
    const bigRuns = big.map((d) => s.run(BIG, d.work));
    await flush();
    expect(big.map((d) => d.started)).toEqual([true, false]);
    clock.advance(3000);
    big[0].finish();
    await flush();
    // 3 s of a core against a 1 s burst: 2 s of debt, earned back at EXPENSIVE_SHARE.
    const debtMs = 3000 - burstMs - 3000 * EXPENSIVE_SHARE;
    expect(big[1].started).toBe(false);
    const small = [manual(), manual()];
    const smallRuns = small.map((d) => s.run(SMALL, d.work));
    await flush();
    expect(small.map((d) => d.started)).toEqual([true, true]); // both slots: the expensive lane may not start
    small.forEach((d) => d.finish());
    await Promise.all(smallRuns);
    clock.advance(debtMs / EXPENSIVE_SHARE - 1);
    await flush();
    expect(big[1].started).toBe(false);
    clock.advance(1);
    await flush();
    expect(big[1].started).toBe(true);
    big[1].finish();
    await Promise.all(bigRuns);
  });

  it('an expensive decode throttled past maxWaitMs gets 503 decoder_busy with Retry-After, never decoded', async () => {
    const { s, clock } = scheduler({ maxWaitMs: 2000 });
    const first = manual();
    const run1 = s.run(BIG, first.work);
    await flush();
    clock.advance(5000);
    first.finish();
    await run1;
    const waiting = manual();
    const refused = s.run(BIG, waiting.work);
    await flush();
    expect(waiting.started).toBe(false);
    clock.advance(2000);
    await expect(refused).rejects.toMatchObject({ kind: 'overloaded', code: 'decoder_busy', retryAfterSeconds: 1 });
    expect(waiting.started).toBe(false);
    expect(s.waiting).toEqual({ cheap: 0, expensive: 0 });
  });

  it('with nothing else to serve, expensive decodes run back to back', async () => {
    const { s, clock } = scheduler({ othersBusy: () => false });
    const big = [manual(), manual(), manual()];
    const runs = big.map((d) => s.run(BIG, d.work));
    for (const d of big) {
      await flush();
      expect(d.started).toBe(true);
      clock.advance(3000);
      d.finish();
    }
    await Promise.all(runs);
  });

  it('starts them in arrival order, one at a time, each when the share allows', async () => {
    const { s, clock } = scheduler();
    const order: number[] = [];
    const big = [manual(), manual(), manual()];
    const runs = big.map((d, i) => s.run(BIG, () => (order.push(i), d.work())));
    const startedAt: number[] = [];
    for (const d of big) {
      await flush();
      while (!d.started) {
        clock.advance(100);
        await flush();
      }
      startedAt.push(clock.now());
      clock.advance(2000);
      d.finish();
    }
    await Promise.all(runs);
    expect(order).toEqual([0, 1, 2]);
    // 2 s decodes at a quarter share: one every 8 s once the burst is spent.
    expect(startedAt[2] - startedAt[1]).toBe(8000);
    expect(SHARE_QUIET_MS).toBeLessThan(8000);
  });
});
