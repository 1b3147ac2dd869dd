/**
 * What ONNX Runtime really runs: the session's optimized graph (saved through
 * `optimizedModelFilePath`), counted by op type. Proves that the QDQ groups became quantized
 * kernels (QLinearConv, QLinearAdd, QGemm, ...) instead of DQ -> fp32 op -> Q.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import ort from '../runtime/onnxruntime.js';

const { onnx } = onnxProto;

/** Op type -> count in the graph ORT optimised from `model` (a path or bytes), e.g. `{ QLinearConv: 53 }`. */
export async function optimizedOpCounts(model: string | Uint8Array, threads = 2): Promise<Record<string, number>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ort-optimized-'));
  const file = path.join(dir, 'optimized.onnx');
  try {
    // logSeverityLevel 3: ORT warns that a layout-optimised graph is hardware specific; we only count it.
    const options = { executionProviders: ['cpu'], graphOptimizationLevel: 'all' as const, intraOpNumThreads: threads, optimizedModelFilePath: file, logSeverityLevel: 3 as const };
    const session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
    await session.release();
    return opCounts(await readFile(file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Op type -> count in an ONNX model's main graph. */
export function opCounts(bytes: Uint8Array): Record<string, number> {
  const model = onnx.ModelProto.decode(bytes);
  const counts: Record<string, number> = {};
  for (const n of model.graph?.node ?? []) {
    const op = n.opType ?? '?';
    counts[op] = (counts[op] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
