/**
 * Runs the fp32 model with ONNX Runtime and hands every requested intermediate tensor to a visitor:
 * the tensors are exposed as extra graph outputs of an instrumented copy of the model.
 */
import ort from '../runtime/onnxruntime.js';
import { encodeModel } from '../convert/index.js';
import type { IrModel, IrValueInfo } from '../convert/index.js';

export interface InputBatch {
  data: Float32Array;
  dims: readonly number[];
}

export type TensorVisitor = (tensor: string, values: Float32Array) => void;

/** The model's bytes with `tensors` added as float outputs (the IR is restored afterwards). */
export function instrumentedModelBytes(model: IrModel, tensors: readonly string[]): Uint8Array {
  const g = model.graph;
  const outputs = g.outputs;
  const removedInfos: IrValueInfo[] = [];
  const extra: IrValueInfo[] = [];
  for (const t of tensors) {
    if (outputs.some((o) => o.name === t) || g.inputs.some((i) => i.name === t)) continue;
    const info = g.valueInfo.get(t);
    if (info) {
      removedInfos.push(info);
      g.valueInfo.delete(t);
    }
    extra.push({ name: t, elemType: 'float32', shape: info?.shape ?? null });
  }
  g.outputs = [...outputs, ...extra];
  try {
    return encodeModel(model);
  } finally {
    g.outputs = outputs;
    for (const info of removedInfos) g.valueInfo.set(info.name, info);
  }
}

/**
 * Feeds each batch to the instrumented model and visits the requested tensors (graph inputs are
 * visited from the feed itself). Batches are produced lazily so that images are decoded one batch
 * at a time.
 */
export async function observeTensors(
  model: IrModel,
  tensors: readonly string[],
  batches: () => AsyncIterable<InputBatch>,
  visit: TensorVisitor,
  threads = 2,
): Promise<void> {
  const inputName = model.graph.inputs[0].name;
  const session = await ort.InferenceSession.create(instrumentedModelBytes(model, tensors), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  try {
    const fetched = tensors.filter((t) => t !== inputName);
    for await (const batch of batches()) {
      if (tensors.includes(inputName)) visit(inputName, batch.data);
      const results = await session.run({ [inputName]: new ort.Tensor('float32', batch.data, [...batch.dims]) }, fetched);
      for (const t of fetched) {
        const out = results[t];
        visit(t, out.data as Float32Array);
        out.dispose();
      }
    }
  } finally {
    await session.release();
  }
}
