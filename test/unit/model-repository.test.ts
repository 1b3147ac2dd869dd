/**
 * Several models and versions in one InferenceService, with test engines (one per version, told
 * apart by the class they answer) and a repository the test edits: routing by name and version,
 * zero-downtime swaps, failed versions, removed models, the memory check, logits.
 */
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InferenceService } from '../../src/service/inference-service.js';
import { TEST_CLASSES } from '../helpers/fake-engine.js';
import { MB, TestRepository, version } from '../helpers/test-repository.js';

const photo = () => sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366aa' } }).jpeg().toBuffer();

let service: InferenceService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

describe('several models in one service', () => {
  it('serves each model by name, each with its own engine; the default is MODEL_NAME or the only model', async () => {
    const repo = new TestRepository().put(version('cats', '1', 3), version('dogs', '1', 7));
    service = repo.service({ modelName: 'dogs' });
    const report = await service.start();
    expect(report.models.map((m) => `${m.name}/${m.version}`)).toEqual(['cats/1', 'dogs/1']);
    const image = await photo();
    expect((await service.classify(image, 1, undefined, undefined, { name: 'cats' })).predictions[0].label).toBe('class_3');
    expect((await service.classify(image, 1, undefined, undefined, { name: 'dogs' })).predictions[0].label).toBe('class_7');
    expect((await service.classify(image, 1)).predictions[0].label).toBe('class_7');
    expect(() => service!.admit(1, { name: 'birds' })).toThrow(expect.objectContaining({ kind: 'not_found', code: 'unknown_model', message: "unknown model 'birds'; this server serves: cats, dogs" }));
    expect(() => service!.admit(1, { name: 'cats', version: '2' })).toThrow(expect.objectContaining({ kind: 'not_found', code: 'unknown_version' }));
    expect(service.index()).toEqual([
      { name: 'cats', version: '1', state: 'READY', reason: '' },
      { name: 'dogs', version: '1', state: 'READY', reason: '' },
    ]);
  });

  it('with several models and MODEL_NAME naming none of them, a request must name one (400 model_required)', async () => {
    service = new TestRepository().put(version('cats', '1', 3), version('dogs', '1', 7)).service();
    await service.start();
    expect(() => service!.admit(1)).toThrow(
      expect.objectContaining({
        kind: 'invalid_request',
        code: 'model_required',
        message: "this server serves several models (cats, dogs) (MODEL_NAME 'resnet50' is not one of them): name one (/predict?model=<name>)",
      }),
    );
  });

  it('serves the highest version; lower ones are listed as not loaded', async () => {
    const repo = new TestRepository().put(version('cats', '2', 4), version('cats', '10', 5));
    service = repo.service();
    await service.start();
    expect(repo.prepared).toEqual(['cats/10']);
    expect((await service.classify(await photo(), 1)).predictions[0].label).toBe('class_5');
    expect(service.index()).toEqual([
      { name: 'cats', version: '2', state: 'UNAVAILABLE', reason: 'not loaded: only the highest version serves' },
      { name: 'cats', version: '10', state: 'READY', reason: '' },
    ]);
  });

  it('logits get a softmax: outputs are probabilities whatever the model ends with', async () => {
    const base = version('raw', '1', 2);
    service = new TestRepository().put({ ...base, descriptor: { ...base.descriptor, output: { classes: TEST_CLASSES, activation: 'none' } } }).service();
    await service.start();
    const [top] = (await service.classify(await photo(), 1)).predictions;
    // The test engine answers a one-hot vector: softmax gives e / (e + 9) to the hot class.
    expect(top.label).toBe('class_2');
    expect(top.probability).toBeCloseTo(Math.E / (Math.E + TEST_CLASSES - 1), 6);
  });
});

describe('new versions without downtime', () => {
  it('a new version loads beside the serving one, then serves; requests pinned to the old one finish on it first', async () => {
    const repo = new TestRepository().put(version('cats', '1', 3));
    service = repo.service();
    await service.start();
    const image = await photo();
    const v1 = repo.engine('cats', '1');
    v1.hold();
    const pinned = service.classify(image, 1);
    await vi.waitFor(() => expect(v1.waiting).toBe(1));

    repo.put(version('cats', '2', 5));
    const swap = service.reload();
    // v2 serves as soon as it is warm, while v1 still holds its request.
    await vi.waitFor(() => expect(service!.index().find((e) => e.version === '2')?.state).toBe('READY'));
    expect(service.index().find((e) => e.version === '1')?.state).toBe('UNLOADING');
    const fresh = await service.classify(image, 1);
    expect(fresh.predictions[0].label).toBe('class_5');
    expect(v1.disposed).toBe(false);

    v1.release();
    expect((await pinned).predictions[0].label).toBe('class_3');
    expect(await swap).toEqual({ loaded: ['cats/2'], failed: [], unloaded: ['cats/1'] });
    expect(v1.disposed).toBe(true);
    expect(service.index()).toEqual([
      { name: 'cats', version: '1', state: 'UNAVAILABLE', reason: 'not loaded: only the highest version serves' },
      { name: 'cats', version: '2', state: 'READY', reason: '' },
    ]);
  });

  it('zero failed requests across a swap under steady load, and every answer names its version', async () => {
    const repo = new TestRepository().put(version('cats', '1', 3));
    service = repo.service();
    await service.start();
    const image = await photo();
    const answers: string[] = [];
    const failures: unknown[] = [];
    let stop = false;
    const client = async (): Promise<void> => {
      while (!stop) {
        const { model, release } = service!.admit(1);
        try {
          const r = await model.classify(image, 1);
          answers.push(`${model.descriptor.version}:${r.predictions[0].label}`);
        } catch (err) {
          failures.push(err);
        } finally {
          release();
        }
      }
    };
    const clients = Array.from({ length: 4 }, client);
    await vi.waitFor(() => expect(answers.length).toBeGreaterThan(20));
    repo.put(version('cats', '2', 5));
    await service.reload();
    const atSwap = answers.length;
    await vi.waitFor(() => expect(answers.length).toBeGreaterThan(atSwap + 20));
    stop = true;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(new Set(answers)).toEqual(new Set(['1:class_3', '2:class_5']));
    // Once the swap is over, only version 2 answers.
    expect(answers.slice(atSwap + 4).every((a) => a === '2:class_5')).toBe(true);
    expect(repo.engine('cats', '1').disposed).toBe(true);
  });

  it('a version that fails to load never replaces the serving one; polling retries it only once its files change, SIGHUP always', async () => {
    const repo = new TestRepository().put(version('cats', '1', 3));
    service = repo.service();
    await service.start();
    repo.put(version('cats', '2', 5));
    repo.broken.add('cats/2');
    const outcome = await service.reload();
    expect(outcome?.failed).toEqual([{ model: 'cats', version: '2', reason: 'cannot read cats/2: truncated file' }]);
    expect(service.index()).toEqual([
      { name: 'cats', version: '1', state: 'READY', reason: '' },
      { name: 'cats', version: '2', state: 'UNAVAILABLE', reason: 'cannot read cats/2: truncated file' },
    ]);
    expect((await service.classify(await photo(), 1)).predictions[0].label).toBe('class_3');
    await service.reload(); // poll, files unchanged
    expect(repo.prepared.filter((p) => p === 'cats/2')).toHaveLength(1);
    repo.stamps.set('cats/2', 'copy complete'); // e.g. a half-copied file now complete, still broken here
    await service.reload(); // poll, files changed: retried
    expect(repo.prepared.filter((p) => p === 'cats/2')).toHaveLength(2);
    repo.broken.delete('cats/2');
    await service.reload(true); // SIGHUP
    expect(repo.prepared.filter((p) => p === 'cats/2')).toHaveLength(3);
    expect((await service.classify(await photo(), 1)).predictions[0].label).toBe('class_5');
  });

  it('a model removed from the repository is unloaded and answers 404; a new one is loaded', async () => {
    const repo = new TestRepository().put(version('cats', '1', 3), version('dogs', '1', 7));
    service = repo.service();
    await service.start();
    repo.models.delete('dogs');
    repo.put(version('birds', '1', 1));
    expect(await service.reload()).toEqual({ loaded: ['birds/1'], failed: [], unloaded: ['dogs/1'] });
    expect(repo.engine('dogs', '1').disposed).toBe(true);
    expect(() => service!.admit(1, { name: 'dogs' })).toThrow(expect.objectContaining({ code: 'unknown_model' }));
    expect((await service.classify(await photo(), 1, undefined, undefined, { name: 'birds' })).predictions[0].label).toBe('class_1');
  });
});

describe('memory', () => {
  it('refuses at start a repository whose models cannot fit the memory limit, naming the figures', async () => {
    const repo = new TestRepository().put(version('big', '1', 3, { modelBytes: 300 * MB }));
    service = repo.service({}, 200 * MB);
    await expect(service.start()).rejects.toThrow(
      "model 'big' version 1 needs about 889 MB once loaded (from its 300 MB model file); the process holds 200 MB of its 1024 MB memory limit (cgroup) and keeps 128 MB margin and 64 MB for requests: raise the memory limit or serve fewer models",
    );
    expect(service.state).toBe('failed');
    expect(repo.engines.size).toBe(0); // refused before its engine was started
  });
});
