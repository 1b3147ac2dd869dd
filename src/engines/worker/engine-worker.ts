/**
 * Runs an engine on its own thread. ONNX Runtime's and TF.js's `run` compute synchronously on the
 * calling thread; here they block this worker, not the event loop that serves HTTP, decodes the
 * next uploads and answers health probes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine } from '../create-engine.js';
import type { EngineSpec, InferenceEngine } from '../engine.js';
import type { FromWorker, ToWorker, WorkerFailure } from './protocol.js';

if (parentPort === null) throw new Error('engine-worker must run as a worker thread');
const port = parentPort;

const failure = (err: unknown): WorkerFailure =>
  err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };

const send = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

async function serve(engine: InferenceEngine, msg: ToWorker): Promise<void> {
  try {
    switch (msg.type) {
      case 'run': {
        const out = await engine.run({ data: msg.data, dims: msg.dims });
        // A private copy is always transferable, whatever memory the engine's output lives in.
        const data = new Float32Array(out.data);
        send({ id: msg.id, type: 'ran', output: { data, dims: out.dims } }, [data.buffer]);
        break;
      }
      case 'stats':
        send({ id: msg.id, type: 'stats', stats: await engine.stats() });
        break;
      case 'dispose':
        await engine.dispose();
        send({ id: msg.id, type: 'disposed' });
        port.close();
        break;
    }
  } catch (err) {
    send({ id: msg.id, type: 'failed', error: failure(err) });
  }
}

try {
  const engine = await createEngine(workerData as EngineSpec);
  // Messages are handled one at a time, in order: the engine never runs two batches at once.
  let chain = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    chain = chain.then(() => serve(engine, msg));
  });
  send({ type: 'ready', info: engine.info });
} catch (err) {
  send({ type: 'load-failed', error: failure(err) });
}
