/**
 * Keras layers model -> int8 QDQ ONNX model: convert to the fp32 IR, choose what to quantize,
 * calibrate activation ranges (BatchNorm statistics or images), insert QDQ, encode.
 */
import { availableCpus } from '../config/cpus.js';
import { buildOnnxGraph, encodeModel } from '../convert/index.js';
import type { LayersModelArtifacts } from '../convert/index.js';
import { StartupError } from '../errors.js';
import { batchNormStatistics, dataFreeRanges } from './calibrate-bn.js';
import { imageBatches, observedRanges } from './calibrate-images.js';
import { insertQdq, type QdqReport } from './qdq.js';
import type { RangeMap } from './ranges.js';
import { selectQuantization } from './select.js';
import { inputRange } from './input-range.js';
import type { QuantizationPlan } from './quantization-plan.js';

export interface QuantizeReport extends QdqReport {
  method: string;
  calibratedTensors: number;
  /** Images the ranges were observed on (0 for data-free). */
  images: number;
  seconds: { convert: number; calibrate: number; quantize: number };
}

export interface QuantizedModel {
  bytes: Uint8Array;
  report: QuantizeReport;
}

const since = (t: number): number => (performance.now() - t) / 1000;

export async function quantizeLayersModel(artifacts: LayersModelArtifacts, plan: QuantizationPlan, threads = 2): Promise<QuantizedModel> {
  let t = performance.now();
  const ir = buildOnnxGraph(artifacts);
  const sel = selectQuantization(ir.graph, plan.layers);
  const convert = since(t);

  t = performance.now();
  const input = inputRange(plan.preprocessing);
  const cal = plan.calibration;
  let ranges: RangeMap;
  if (cal.kind === 'data-free') {
    ranges = dataFreeRanges(ir.graph, batchNormStatistics(artifacts), sel.calibrate, { k: cal.k, inputRange: input });
  } else {
    const observed = sel.calibrate.filter((name) => !ir.graph.inputs.some((i) => i.name === name));
    ranges = await observedRanges(ir, observed, imageBatches(cal.files, plan.preprocessing), cal.params, threads);
  }
  // The graph input's true domain is known exactly from the normalisation: no need to observe it.
  for (const i of ir.graph.inputs) if (sel.calibrate.includes(i.name)) ranges.set(i.name, input);
  const calibrate = since(t);

  t = performance.now();
  const qdq = insertQdq(ir, sel, ranges);
  ir.metadata = { ...ir.metadata, quantization: plan.method, quantization_fingerprint: plan.fingerprint };
  ir.docString = `${ir.docString}; int8 QDQ (${plan.method})`;
  const bytes = encodeModel(ir);
  return {
    bytes,
    report: {
      ...qdq,
      method: plan.method,
      calibratedTensors: sel.calibrate.length,
      images: cal.kind === 'images' ? cal.files.length : 0,
      seconds: { convert, calibrate, quantize: since(t) },
    },
  };
}

export async function quantizedModelBytes(artifacts: LayersModelArtifacts, plan: QuantizationPlan): Promise<Uint8Array> {
  try {
    return (await quantizeLayersModel(artifacts, plan, availableCpus())).bytes;
  } catch (err) {
    if (err instanceof StartupError) throw err;
    throw new StartupError(`cannot build the int8 model (${plan.method}): ${(err as Error).message}`, { cause: err });
  }
}
