/**
 * Test doubles for unit tests of the service (never used by the product): `TestEngine` answers
 * each row with a one-hot vector at a class the test chooses, runs batches only when the test
 * releases them (`hold`), and can die on demand; `testModel` is a prepared model that needs no
 * model files.
 */
import type { BatchInput, BatchOutput, EngineInfo, EngineSpec, InferenceEngine } from '../../src/engines/engine.js';
import type { PreparedModel } from '../../src/pipeline/prepare.js';
import type { VersionEntry } from '../../src/pipeline/repository.js';
import type { ServiceDeps } from '../../src/service/inference-service.js';

export const TEST_CLASSES = 10;

export class TestEngine implements InferenceEngine {
  readonly info: EngineInfo = { engine: 'onnx', backend: 'test engine', precision: 'fp32', threads: 1 };
  batches: number[] = [];
  disposed = false;
  /** Class every row is given. */
  answer = 3;
  private held: (() => void)[] = [];
  private holding = false;
  private fatal: ((err: Error) => void) | undefined;

  static factory(engine: TestEngine) {
    return async (_spec: EngineSpec, onFatal: (err: Error) => void): Promise<InferenceEngine> => {
      engine.fatal = onFatal;
      return engine;
    };
  }

  /** Batches wait until `release()`. */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    const waiting = this.held;
    this.held = [];
    for (const go of waiting) go();
  }

  /** Batches waiting for `release()`. */
  get waiting(): number {
    return this.held.length;
  }

  /** The engine's worker died. */
  die(message = 'test engine died'): void {
    this.fatal?.(new Error(message));
  }

  async run(input: BatchInput): Promise<BatchOutput> {
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
    const n = input.dims[0];
    this.batches.push(n);
    const data = new Float32Array(n * TEST_CLASSES);
    for (let i = 0; i < n; i++) data[i * TEST_CLASSES + this.answer] = 1;
    return { data, dims: [n, TEST_CLASSES] };
  }

  async stats(): Promise<{ tensors?: number }> {
    return {};
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

/** A prepared 32x32 RGB model with TEST_CLASSES labels and the given batching; nothing read from disk. */
export function testModel(batching = { maxBatchSize: 8, maxQueueDelayMs: 0 }): PreparedModel {
  return {
    descriptor: {
      name: 'test-model',
      version: '1',
      input: { width: 32, height: 32, channels: 3, layout: 'NHWC' },
      output: { classes: TEST_CLASSES, activation: 'softmax' },
      batching,
    } as PreparedModel['descriptor'],
    dir: '/nonexistent',
    labels: Array.from({ length: TEST_CLASSES }, (_, i) => `class_${i}`),
    engineSpec: { engine: 'onnx', modelPath: '/nonexistent/test.onnx', threads: 1, precision: 'fp32' },
    preprocessing: {
      geometry: { width: 32, height: 32, mode: 'crop', shorter: 36 },
      normalization: { channelOrder: 'RGB', mean: [0, 0, 0], std: [1, 1, 1] },
      limits: { maxPixels: 40_000_000, minSide: 8 },
    },
    fetchSeconds: 0,
    convertSeconds: 0,
    modelBytes: 0,
    precision: 'fp32',
    location: '/nonexistent/test.onnx',
  };
}

/** A repository entry for a version no file backs (test doubles prepare it). */
export function testVersion(name: string, version: string): VersionEntry {
  return { name, version, location: 'test double', source: { kind: 'file', format: 'onnx', file: '/nonexistent/test.onnx', labelsDirs: [], config: { file: '/nonexistent/model.yaml' } } };
}

/** A repository holding only `models` (each one version), for ServiceDeps: nothing read from disk. */
export function testRepository(...models: PreparedModel[]): Pick<ServiceDeps, 'scan' | 'prepare'> {
  return {
    scan: async () => models.map((m) => ({ name: m.descriptor.name, versions: [testVersion(m.descriptor.name, m.descriptor.version)] })),
    prepare: async (_config, v) => {
      const found = models.find((m) => m.descriptor.name === v.name && m.descriptor.version === v.version);
      if (!found) throw new Error(`test repository has no ${v.name}/${v.version}`);
      return found;
    },
  };
}
