/** Memory budget, decode scheduling lanes, cost estimates and the default budget: no model, no server. */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { estimateDecode } from '../../src/preprocess/decode-cost.js';
import { planFor, probeImage } from '../../src/preprocess/decode.js';
import { DecodeScheduler } from '../../src/service/decode-scheduler.js';
import { MemoryBudget } from '../../src/service/memory-budget.js';
import { BUDGET_SHARE, defaultBudget, memoryLimit, MIN_MARGIN_BYTES } from '../../src/service/memory-limit.js';
import { ManualClock } from '../helpers/manual-clock.js';

const MB = 1024 * 1024;

/** A decode the test finishes by hand. */
function manual(): { work: () => Promise<string>; started: boolean; finish: (v?: string) => void; fail: (e: Error) => void } {
  let resolve: (v: string) => void = () => {};
  let reject: (e: Error) => void = () => {};
  const m = {
    started: false,
    work: () => {
      m.started = true;
      return new Promise<string>((res, rej) => {
        resolve = res;
        reject = rej;
      });
    },
    finish: (v = 'done') => resolve(v),
    fail: (e: Error) => reject(e),
  };
  return m;
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('MemoryBudget', () => {
  it('charges, grows within what is free, and releases once', () => {
    const b = new MemoryBudget(100);
    const a = b.tryCharge(60);
    expect(a?.bytes).toBe(60);
    expect(b.tryCharge(50)).toBeUndefined();
    const c = b.tryCharge(0);
    expect(c?.grow(40)).toBe(true);
    expect(c?.grow(1)).toBe(false);
    expect(b.used).toBe(100);
    a?.release();
    a?.release();
    expect(b.used).toBe(40);
    c?.release();
    expect(b.used).toBe(0);
    expect(b.peak).toBe(100);
  });

  it('keeps a quarter for small charges: bulk (over 1 MB held) stops at three quarters, small ones still fit', () => {
    const b = new MemoryBudget(100 * MB);
    const upload = b.tryCharge(0);
    expect(upload?.grow(70 * MB)).toBe(true);
    expect(upload?.grow(10 * MB)).toBe(false); // 80 MB held by bulk would cut into the reserve
    expect(b.tryCharge(6 * MB)).toBeUndefined(); // a new bulk charge: 76 > 75
    const small = Array.from({ length: 25 }, () => b.tryCharge(MB));
    expect(small.every((c) => c !== undefined)).toBe(true); // 70 + 25 = 95 MB: the reserve serves small ones
    expect(b.used).toBe(95 * MB);
    expect(b.tryCharge(6 * MB)).toBeUndefined(); // and the budget itself still holds
  });
});

describe('MemoryBudget classes and waiting', () => {
  it('a charge of the bulk class stays out of the small reserve from its first byte', () => {
    const b = new MemoryBudget(100 * MB);
    const held = b.tryCharge(70 * MB, true);
    const upload = b.tryCharge(0, true); // a large declared upload, nothing received yet
    expect(upload?.grow(64 * 1024)).toBe(true); // 70 MB + 64 KB: under the 75 MB bulk ceiling
    expect(upload?.grow(5 * MB)).toBe(false); // past it, although the charge itself holds under 1 MB
    expect(b.tryCharge(10 * MB, false)).toBeDefined(); // a cheap decode of 10 MB may use the reserve
    expect(b.tryCharge(2 * MB, true)).toBeUndefined();
    held?.release();
    expect(upload?.grow(5 * MB)).toBe(true);
  });

  it('serves waiters in arrival order once bytes are released; a cancelled one is skipped', async () => {
    const b = new MemoryBudget(10);
    const full = b.tryCharge(10, false);
    const order: string[] = [];
    const charges = [b.tryCharge(0, false), b.tryCharge(0, false), b.tryCharge(0, false)];
    const waits = charges.map((c) => b.whenRoom(() => c?.grow(4) ?? false));
    waits.forEach((w, i) => void w.ready.then(() => order.push(`w${i}`)));
    waits[0].cancel();
    full?.release(); // 10 free: w1 and w2 take 4 each
    await flush();
    expect(order).toEqual(['w1', 'w2']);
    expect(b.used).toBe(8);
  });
});

describe('DecodeScheduler', () => {
  // Time stands still here (the expensive lane's time share never runs out): the share's own
  // tests are in decode-share.test.ts.
  const opts = { slots: 2, expensiveSlots: 1, maxWaitMs: 60_000, clock: new ManualClock() };

  it('refuses at once (413) a decode that can never fit the budget', async () => {
    const s = new DecodeScheduler(new MemoryBudget(100 * MB), opts);
    await expect(s.run({ bytes: 101 * MB, expensive: true }, async () => 'x')).rejects.toMatchObject({ kind: 'too_large', code: 'image_exceeds_memory_budget' });
  });

  it('holds the charge until the work has really ended, even when its request has gone', async () => {
    const budget = new MemoryBudget(100 * MB);
    const s = new DecodeScheduler(budget, opts);
    const ctl = new AbortController();
    const d = manual();
    const run = s.run({ bytes: 30 * MB, expensive: false }, d.work, ctl.signal);
    await flush();
    expect(d.started).toBe(true);
    ctl.abort(new Error('deadline'));
    expect(budget.used).toBe(30 * MB); // still decoding: still counted
    d.finish();
    await run;
    expect(budget.used).toBe(0);
  });

  it('releases the charge when the decode fails', async () => {
    const budget = new MemoryBudget(100 * MB);
    const s = new DecodeScheduler(budget, opts);
    const d = manual();
    const run = s.run({ bytes: 30 * MB, expensive: false }, d.work);
    await flush();
    d.fail(new Error('corrupt'));
    await expect(run).rejects.toThrow('corrupt');
    expect(budget.used).toBe(0);
  });

  it('runs one expensive decode at a time while cheap ones keep flowing past the waiting ones', async () => {
    const s = new DecodeScheduler(new MemoryBudget(1000 * MB), { ...opts, slots: 3 });
    const big = [manual(), manual(), manual()];
    const bigRuns = big.map((d) => s.run({ bytes: 200 * MB, expensive: true }, d.work));
    await flush();
    expect(big.map((d) => d.started)).toEqual([true, false, false]);
    const small = [manual(), manual(), manual(), manual()];
    const order: number[] = [];
    const smallRuns = small.map((d, i) => s.run({ bytes: MB, expensive: false }, d.work).then(() => order.push(i)));
    await flush();
    expect(small.map((d) => d.started)).toEqual([true, true, false, false]);
    small[0].finish();
    small[1].finish();
    await flush();
    small[2].finish();
    small[3].finish();
    await Promise.all(smallRuns);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(big.map((d) => d.started)).toEqual([true, false, false]); // still the first, alone
    expect(s.active).toEqual({ cheap: 0, expensive: 1 });
    big[0].finish();
    await flush();
    expect(big[1].started).toBe(true);
    big[1].finish();
    await flush();
    big[2].finish();
    await Promise.all(bigRuns);
  });

  it('keeps the expensive lane its slot: cheap images never take the last one while it waits', async () => {
    const s = new DecodeScheduler(new MemoryBudget(1000 * MB), opts);
    const cheap = [manual(), manual(), manual()];
    const runs = cheap.map((d) => s.run({ bytes: MB, expensive: false }, d.work));
    await flush();
    const big = manual();
    const bigRun = s.run({ bytes: 100 * MB, expensive: true }, big.work);
    cheap[0].finish();
    await flush();
    expect(big.started).toBe(true);
    expect(cheap[2].started).toBe(false);
    cheap[1].finish();
    await flush();
    expect(cheap[2].started).toBe(true);
    big.finish();
    cheap[2].finish();
    await Promise.all([...runs, bigRun]);
  });

  it('waits for memory, then starts; a wait past maxWaitMs is 503 with Retry-After', async () => {
    const budget = new MemoryBudget(100 * MB);
    const clock = new ManualClock();
    const s = new DecodeScheduler(budget, { ...opts, maxWaitMs: 0, clock });
    const first = manual();
    const run1 = s.run({ bytes: 70 * MB, expensive: true }, first.work);
    await flush();
    const refused = s.run({ bytes: 31 * MB, expensive: false }, async () => 'x'); // 70 + 31 > 100
    clock.advance(0);
    await expect(refused).rejects.toMatchObject({ kind: 'overloaded', code: 'memory_busy', retryAfterSeconds: 1 });
    first.finish();
    await run1;
    await expect(s.run({ bytes: 31 * MB, expensive: false }, async () => 'ok')).resolves.toBe('ok');
  });

  it('an aborted request leaves the queue without being decoded', async () => {
    const s = new DecodeScheduler(new MemoryBudget(1000 * MB), opts);
    const running = manual();
    const run1 = s.run({ bytes: MB, expensive: true }, running.work);
    const ctl = new AbortController();
    const waiting = manual();
    const run2 = s.run({ bytes: MB, expensive: true }, waiting.work, ctl.signal);
    ctl.abort(new Error('client left'));
    await expect(run2).rejects.toThrow('client left');
    running.finish();
    await run1;
    expect(waiting.started).toBe(false);
    expect(s.waiting).toEqual({ cheap: 0, expensive: 0 });
  });
});

describe('decode cost', () => {
  const make = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: '#3366cc' } });
  const limits = { maxPixels: 100_000_000, minSide: 8 };

  it('prices a progressive JPEG and an interlaced PNG as whole-image decodes, a baseline JPEG as cheap', async () => {
    const baseline = await probeImage(await make(4000, 3000).jpeg().toBuffer(), 'jpeg', limits);
    const progressive = await probeImage(await make(4000, 3000).jpeg({ progressive: true }).toBuffer(), 'jpeg', limits);
    const interlaced = await probeImage(await make(4000, 3000).png({ progressive: true, compressionLevel: 1 }).toBuffer(), 'png', limits);
    expect(progressive.progressive).toBe(true);
    expect(estimateDecode(baseline)).toMatchObject({ kind: 'jpeg-baseline', expensive: false });
    const p = estimateDecode(progressive);
    expect(p).toMatchObject({ kind: 'jpeg-progressive', expensive: true });
    expect(p.bytes).toBeGreaterThan(12e6 * 3); // every 4:2:0 coefficient, 2 bytes each
    expect(estimateDecode(interlaced)).toMatchObject({ kind: 'png-interlaced', expensive: true });
    expect(estimateDecode(interlaced).bytes).toBeGreaterThan(12e6 * 3);
  });
});

describe('thin images', () => {
  const g = { width: 224, height: 224, mode: 'crop' as const, shorter: 256 };

  it('cuts the centre window first when the resize would be out of range (at least 1 px each way)', () => {
    expect(planFor(8, 4_999_999, g)).toEqual({ kind: 'window', left: 0, top: 2_499_996, width: 7, height: 7 });
    expect(planFor(1, 100_000, g)).toMatchObject({ kind: 'window', width: 1, height: 1 });
    expect(planFor(640, 480, g)).toEqual({ kind: 'resize', resizeW: 341, resizeH: 256, left: 58, top: 16 });
  });
});

describe('default memory budget', () => {
  it('takes the cgroup limit when there is one, else the machine', () => {
    expect(memoryLimit(() => 1024 * MB, () => 16384 * MB)).toEqual({ bytes: 1024 * MB, source: 'cgroup' });
    expect(memoryLimit(() => 0, () => 16384 * MB)).toEqual({ bytes: 16384 * MB, source: 'machine' });
    expect(memoryLimit(() => 2 ** 63, () => 16384 * MB)).toEqual({ bytes: 16384 * MB, source: 'machine' });
  });

  it('is the limit minus the resident baseline minus the margin', () => {
    expect(defaultBudget(1024 * MB, 300 * MB)).toBe(Math.round((1024 * MB - 300 * MB - MIN_MARGIN_BYTES) * BUDGET_SHARE));
    expect(BUDGET_SHARE).toBe(0.5);
    expect(defaultBudget(256 * MB, 300 * MB)).toBe(64 * MB);
  });
});
