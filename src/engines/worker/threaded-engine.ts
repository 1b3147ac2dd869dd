/** Main-thread proxy for an engine living in a worker thread; same interface as a local engine. */
import { Worker } from 'node:worker_threads';
import { AppError, StartupError } from '../../errors.js';
import type { BatchInput, BatchOutput, EngineInfo, EngineSpec, EngineStats, InferenceEngine } from '../engine.js';
import type { FromWorker, ToWorker, WorkerFailure } from './protocol.js';

/** A request without its id (distributes over the union, unlike Omit). */
type Request = ToWorker extends infer M ? (M extends ToWorker ? Omit<M, 'id'> : never) : never;

type Pending = { resolve: (msg: FromWorker) => void; reject: (err: Error) => void };

// Run from TypeScript sources (tests, tsx) the worker is a .ts file: a tiny bootstrap registers
// tsx's loader inside the worker first (execArgv --import does not reach worker threads on Node 20).
const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(fromSource ? './engine-worker.ts' : './engine-worker.js', import.meta.url);
const tsBootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl.href)}); })`;

export class ThreadedEngine implements InferenceEngine {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dead: Error | undefined;
  private closing = false;

  private constructor(
    private readonly worker: Worker,
    readonly info: EngineInfo,
    onFatal: (err: Error) => void,
  ) {
    worker.on('message', (msg: FromWorker) => {
      if (!('id' in msg)) return;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      p?.resolve(msg);
    });
    const die = (err: Error): void => {
      if (this.dead || this.closing) return;
      this.dead = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      onFatal(err);
    };
    worker.on('error', (err) => die(new AppError('internal', 'engine_crashed', `inference worker crashed: ${err.message}`)));
    worker.on('exit', (code) => die(new AppError('internal', 'engine_exited', `inference worker exited (code ${code})`)));
  }

  /** Starts the worker and waits until its engine has loaded; load errors surface as StartupError. */
  static async start(spec: EngineSpec, onFatal: (err: Error) => void = () => {}): Promise<ThreadedEngine> {
    const worker = fromSource ? new Worker(tsBootstrap, { eval: true, workerData: spec }) : new Worker(workerUrl, { workerData: spec });
    let onMessage: (msg: FromWorker) => void = () => {};
    let onError: (err: Error) => void = () => {};
    let onExit: (code: number) => void = () => {};
    const first = await new Promise<FromWorker>((resolve, reject) => {
      onMessage = resolve;
      onError = reject;
      onExit = (code) => reject(new StartupError(`inference worker exited during load (code ${code})`));
      worker.once('message', onMessage).once('error', onError).once('exit', onExit);
    }).finally(() => {
      // Only our own listeners: Worker keeps internal ones (removeAllListeners would break messaging).
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    });
    if (first.type !== 'ready') {
      await worker.terminate();
      const e = first.type === 'load-failed' ? first.error : { name: 'Error', message: 'unexpected message' };
      throw new StartupError(e.message);
    }
    return new ThreadedEngine(worker, first.info, onFatal);
  }

  private call(msg: Request, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<FromWorker>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id } as ToWorker, transfer);
    }).then((reply) => {
      if (reply.type === 'failed') throw engineFailure(reply.error);
      return reply;
    });
  }

  /** Transfers `input.data`'s buffer to the worker: the caller must not touch it afterwards. */
  async run(input: BatchInput): Promise<BatchOutput> {
    const reply = await this.call({ type: 'run', data: input.data, dims: [...input.dims] }, [input.data.buffer as ArrayBuffer]);
    if (reply.type !== 'ran') throw new Error(`unexpected reply ${reply.type}`);
    return reply.output;
  }

  async stats(): Promise<EngineStats> {
    const reply = await this.call({ type: 'stats' });
    return reply.type === 'stats' ? reply.stats : {};
  }

  async dispose(): Promise<void> {
    if (this.dead || this.closing) return;
    const done = this.call({ type: 'dispose' });
    this.closing = true; // the worker's exit from here on is expected, not a crash
    await done.catch(() => undefined);
    this.dead = new AppError('not_ready', 'engine_disposed', 'the engine has been shut down');
    await this.worker.terminate();
  }
}

function engineFailure(e: WorkerFailure): AppError {
  return new AppError('internal', 'inference_failed', `inference failed: ${e.message}`);
}
