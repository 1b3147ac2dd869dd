/** InferenceService with an injected TestEngine: admission, draining and engine failure, no real model. */
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { configWith, type Config } from '../../src/config/config.js';
import { InferenceService } from '../../src/service/inference-service.js';
import { TestEngine, testModel, testRepository } from '../helpers/fake-engine.js';

const MB = 1024 * 1024;
const photo = () => sharp({ create: { width: 64, height: 48, channels: 3, background: '#aa5533' } }).jpeg().toBuffer();

function serviceWith(engine: TestEngine, overrides: Partial<Config> = {}, model = testModel()) {
  const config = configWith({ logLevel: 'silent', maxQueue: 2, maxBatchSize: 4, ...overrides });
  let fatal: Error | undefined;
  const service = new InferenceService(config, undefined, (err) => (fatal = err), {
    engineFactory: TestEngine.factory(engine),
    ...testRepository(model),
    memory: { limit: () => ({ bytes: 1024 * MB, source: 'cgroup' }), residentBytes: () => 200 * MB },
  });
  return { service, fatal: () => fatal };
}

describe('InferenceService with a test engine', () => {
  it('starts, sizes its budget from the limit, and classifies through the injected engine', async () => {
    const engine = new TestEngine();
    const { service } = serviceWith(engine);
    const report = await service.start();
    expect(service.ready).toBe(true);
    expect(report.memoryBudgetSource).toBe('cgroup');
    expect(report.memoryBudgetBytes).toBe(Math.round((1024 * MB - 200 * MB - 128 * MB) / 2));
    const result = await service.classify(await photo(), 2);
    expect(result.predictions[0]).toMatchObject({ label: 'class_3', probability: 1 });
    expect(result.source).toEqual({ format: 'jpeg', width: 64, height: 48 });
    expect(service.memory.used).toBe(0);
    await service.stop();
    expect(engine.disposed).toBe(true);
  });

  it('refuses past MAX_QUEUE with 503 queue_full, and frees the slot when released', async () => {
    const { service } = serviceWith(new TestEngine());
    await service.start();
    const a = service.admit(2).release;
    expect(() => service.admit(1)).toThrow(expect.objectContaining({ code: 'queue_full', retryAfterSeconds: 1 }));
    a();
    expect(service.inFlight).toBe(0);
    expect(() => service.admit(1)).not.toThrow();
  });

  it('drains: accepted work completes, new work is refused, then the engine is released', async () => {
    const engine = new TestEngine();
    const { service } = serviceWith(engine);
    await service.start();
    engine.hold();
    const pending = service.classify(await photo(), 1);
    await vi.waitFor(() => expect(engine.waiting).toBe(1)); // the image reached the engine
    service.beginDrain();
    expect(service.ready).toBe(false);
    expect(() => service.admit(1)).not.toThrow(); // accepted requests still complete while draining
    const stopped = service.stop();
    engine.release();
    expect((await pending).predictions[0].label).toBe('class_3');
    await stopped;
    expect(service.state).toBe('stopped');
    expect(() => service.admit(1)).toThrow(expect.objectContaining({ code: 'shutting_down' }));
  });

  it.each([
    ['the descriptor\'s batching.maxBatchSize when MAX_BATCH_SIZE is unset', undefined, [1, 2, 2]],
    ['MAX_BATCH_SIZE over the descriptor', 4, [1, 4]],
  ])('forms batches of %s', async (_case, maxBatchSize, batches) => {
    const engine = new TestEngine();
    const { service } = serviceWith(engine, { maxBatchSize, maxQueue: 10 }, testModel({ maxBatchSize: 2, maxQueueDelayMs: 0 }));
    await service.start();
    engine.batches = []; // the warm-up run
    engine.hold();
    const row = (): Float32Array => new Float32Array(32 * 32 * 3);
    const first = service.infer([row()]);
    await vi.waitFor(() => expect(engine.waiting).toBe(1)); // a lone row runs at once (queue delay 0)
    const rest = service.infer([row(), row(), row(), row()]); // queued while the engine is busy
    engine.release();
    const out = [...(await first), ...(await rest)];
    expect(out.map((p) => p.indexOf(1))).toEqual([3, 3, 3, 3, 3]);
    expect(engine.batches).toEqual(batches);
    await service.stop();
  });

  it('an engine that dies fails the service and reports it once', async () => {
    const engine = new TestEngine();
    const { service, fatal } = serviceWith(engine);
    await service.start();
    engine.die('worker exited');
    expect(service.state).toBe('failed');
    expect(fatal()?.message).toBe('worker exited');
    await expect(service.classify(await photo(), 1)).rejects.toMatchObject({ code: 'model_failed' });
  });
});
