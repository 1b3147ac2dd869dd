/**
 * Test double for unit tests of several models (never used by the product): a model repository
 * the test edits, whose versions run on TestEngines told apart by the class they answer.
 */
import { configWith, type Config } from '../../src/config/config.js';
import type { EngineSpec } from '../../src/engines/engine.js';
import type { PreparedModel } from '../../src/pipeline/prepare.js';
import type { ModelEntry } from '../../src/pipeline/repository.js';
import { InferenceService, type ServiceObserver } from '../../src/service/inference-service.js';
import { TestEngine, testModel, testVersion } from './fake-engine.js';

export const MB = 1024 * 1024;

/** A model version whose test engine answers class `answer`. */
export function version(name: string, v: string, answer: number, over: Partial<PreparedModel> = {}): PreparedModel {
  const base = testModel();
  return {
    ...base,
    descriptor: { ...base.descriptor, name, version: v },
    engineSpec: { engine: 'onnx', modelPath: `${name}/${v}/${answer}`, threads: 1, precision: 'fp32' },
    ...over,
  };
}

/** A repository the test edits: models by name, each a list of versions. */
export class TestRepository {
  models = new Map<string, PreparedModel[]>();
  engines = new Map<string, TestEngine>();
  prepared: string[] = [];
  broken = new Set<string>();
  /** What `stamp` says for `name/version` (a file's size and mtime, for real ones). */
  stamps = new Map<string, string>();

  put(...versions: PreparedModel[]): this {
    for (const p of versions) this.models.set(p.descriptor.name, [...(this.models.get(p.descriptor.name) ?? []), p]);
    return this;
  }

  engine(name: string, v: string): TestEngine {
    const found = [...this.engines.entries()].find(([k]) => k.startsWith(`${name}/${v}/`));
    if (!found) throw new Error(`no engine for ${name}/${v}`);
    return found[1];
  }

  service(overrides: Partial<Config> = {}, resident = 200 * MB, observer?: ServiceObserver): InferenceService {
    const config = configWith({ logLevel: 'silent', maxQueue: 64, ...overrides });
    return new InferenceService(config, observer, () => {}, {
      scan: async (): Promise<ModelEntry[]> =>
        [...this.models.entries()].map(([name, vs]) => ({ name, versions: vs.map((p) => testVersion(name, p.descriptor.version)) })),
      prepare: async (_c, v) => {
        this.prepared.push(`${v.name}/${v.version}`);
        if (this.broken.has(`${v.name}/${v.version}`)) throw new Error(`cannot read ${v.name}/${v.version}: truncated file`);
        const p = this.models.get(v.name)?.find((x) => x.descriptor.version === v.version);
        if (!p) throw new Error(`no ${v.name}/${v.version}`);
        return p;
      },
      stamp: async (v) => this.stamps.get(`${v.name}/${v.version}`) ?? 'unchanged',
      engineFactory: async (spec: EngineSpec, onFatal) => {
        const engine = new TestEngine();
        engine.answer = Number((spec as { modelPath: string }).modelPath.split('/')[2]);
        this.engines.set((spec as { modelPath: string }).modelPath, engine);
        return TestEngine.factory(engine)(spec, onFatal);
      },
      memory: { limit: () => ({ bytes: 1024 * MB, source: 'cgroup' }), residentBytes: () => resident },
    });
  }
}

