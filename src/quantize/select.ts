/**
 * Which nodes of the fp32 IR run in int8 and which activation tensors get a QuantizeLinear /
 * DequantizeLinear pair, decided the way ONNX Runtime's own QDQ quantizer does so that ORT's
 * graph optimiser fuses every group into a quantized kernel:
 *  - Conv (int8 per-channel weights, int32 bias) -> QLinearConv; Add -> QLinearAdd;
 *    Gemm -> QGemm with a float output (Softmax stays fp32); GlobalAveragePool/AveragePool ->
 *    QLinear*Pool with their own range.
 *  - MaxPool and layout ops (Transpose, Reshape, Flatten, ...) run on uint8 when their output has
 *    the input's scale/zero point (ORT then drops their DQ/Q), so they inherit the input's range.
 *    They are quantized only when every consumer is, else their Q/DQ would only add error.
 *  - A Relu is folded into the Q of its output: Q with zero point 0 clamps at 0 exactly as Relu does
 *    (ORT drops such a Relu too), so Conv/Add feed their Q directly.
 */
import { consumerMap, isGraphOutput, producerMap } from '../convert/index.js';
import type { IrGraph, IrNode } from '../convert/index.js';

/** Layers that may stay fp32 when that protects accuracy (measured, see the README). */
export interface LayerPolicy {
  /** The Conv fed by the graph input (through layout ops). */
  firstConv: 'int8' | 'fp32';
  /** Gemm classifier (and the pooling feeding it, which only pays off when Gemm is int8). */
  classifier: 'int8' | 'fp32';
}

export interface QuantSelection {
  /** Names of nodes that run quantized. */
  nodes: Set<string>;
  /** Relu nodes replaced by the Q of their output: name -> [input, output]. */
  foldedRelus: Map<string, [string, string]>;
  /** Quantized activation tensor -> tensor whose range sets its scale/zero point. */
  paramSource: Map<string, string>;
  /** Tensors (of the fp32 graph, Relus included) whose ranges calibration must provide. */
  calibrate: string[];
}

/** Data-movement ops whose int8 form needs output params = input params. */
const PASS_THROUGH = new Set(['MaxPool', 'Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze']);
/** Cheap ops with a quantized kernel and their own output range. */
const POOLS = new Set(['GlobalAveragePool', 'AveragePool']);

function floatInit(graph: IrGraph, name: string | undefined, rank: number): boolean {
  const t = name ? graph.initializers.get(name) : undefined;
  return t !== undefined && t.dataType === 'float32' && t.dims.length === rank;
}

function intAttr(n: IrNode, name: string, def: number): number {
  const a = n.attributes[name];
  return a?.type === 'int' ? a.value : def;
}

function floatAttr(n: IrNode, name: string, def: number): number {
  const a = n.attributes[name];
  return a?.type === 'float' ? a.value : def;
}

/** Conv fed (through layout ops only) by a graph input. */
function isFirstConv(graph: IrGraph, conv: IrNode, producers: Map<string, IrNode>): boolean {
  let t = conv.inputs[0];
  for (let depth = 0; depth < 8; depth++) {
    if (graph.inputs.some((i) => i.name === t)) return true;
    const p = producers.get(t);
    if (!p || !PASS_THROUGH.has(p.opType) || p.opType === 'MaxPool') return false;
    t = p.inputs[0];
  }
  return false;
}

function coreQuantizable(graph: IrGraph, n: IrNode, policy: LayerPolicy, producers: Map<string, IrNode>): boolean {
  if (n.outputs.some((o) => isGraphOutput(graph, o)) && n.opType !== 'Gemm') return false;
  const activation = (t: string | undefined): boolean => Boolean(t) && !graph.initializers.has(t as string);
  switch (n.opType) {
    case 'Conv':
      if (!activation(n.inputs[0]) || !floatInit(graph, n.inputs[1], 4) || (n.inputs[2] && !floatInit(graph, n.inputs[2], 1))) return false;
      return policy.firstConv === 'int8' || !isFirstConv(graph, n, producers);
    case 'Gemm':
      // QGemm: A [M, K] activation, B [K, N] constant (per-column scales), optional bias [N]; no transposes, unit alpha/beta.
      if (policy.classifier !== 'int8' || !activation(n.inputs[0]) || !floatInit(graph, n.inputs[1], 2)) return false;
      if (n.inputs[2] && !floatInit(graph, n.inputs[2], 1)) return false;
      return intAttr(n, 'transA', 0) === 0 && intAttr(n, 'transB', 0) === 0 && floatAttr(n, 'alpha', 1) === 1 && floatAttr(n, 'beta', 1) === 1;
    case 'Add':
      return n.inputs.length === 2 && n.inputs.every(activation);
    default:
      return false;
  }
}

export function selectQuantization(graph: IrGraph, policy: LayerPolicy): QuantSelection {
  const producers = producerMap(graph);
  const consumers = consumerMap(graph);
  const nodes = new Set<string>();
  for (const n of graph.nodes) if (coreQuantizable(graph, n, policy, producers)) nodes.add(n.name);

  // Cheap ops, last to first so that a chain (GAP -> Flatten -> Gemm) is decided from its end.
  for (const n of [...graph.nodes].reverse()) {
    if (!PASS_THROUGH.has(n.opType) && !POOLS.has(n.opType)) continue;
    if (n.outputs.length !== 1 || graph.initializers.has(n.inputs[0]) || isGraphOutput(graph, n.outputs[0])) continue;
    if (POOLS.has(n.opType) && policy.classifier !== 'int8') continue;
    const users = consumers.get(n.outputs[0]) ?? [];
    if (users.length > 0 && users.every((u) => nodes.has(u.name))) nodes.add(n.name);
  }

  // Quantized tensors: float activation inputs of quantized nodes, and their outputs (not Gemm's).
  const tensors = new Set<string>();
  for (const n of graph.nodes) {
    if (!nodes.has(n.name)) continue;
    const dataInputs = n.opType === 'Add' ? n.inputs : [n.inputs[0]]; // the rest are weights, shapes, axes
    for (const i of dataInputs) if (i && !graph.initializers.has(i)) tensors.add(i);
    if (n.opType !== 'Gemm') for (const o of n.outputs) tensors.add(o);
  }

  // A Relu whose output is quantized and whose input feeds nothing else becomes part of that Q.
  const foldedRelus = new Map<string, [string, string]>();
  for (const n of graph.nodes) {
    if (n.opType !== 'Relu' || !tensors.has(n.outputs[0]) || isGraphOutput(graph, n.outputs[0])) continue;
    const x = n.inputs[0];
    if ((consumers.get(x) ?? []).length !== 1 || isGraphOutput(graph, x) || !producers.has(x)) continue;
    foldedRelus.set(n.name, [x, n.outputs[0]]);
    tensors.delete(x); // its producer now writes the Relu's output name
  }

  const paramSource = new Map<string, string>();
  const sourceOf = (t: string): string => {
    const known = paramSource.get(t);
    if (known) return known;
    const p = producers.get(t);
    const src = p && nodes.has(p.name) && PASS_THROUGH.has(p.opType) ? sourceOf(p.inputs[0]) : t;
    paramSource.set(t, src);
    return src;
  };
  for (const t of tensors) sourceOf(t);
  for (const t of [...paramSource.keys()]) if (!tensors.has(t)) paramSource.delete(t);
  const calibrate = [...new Set(paramSource.values())].sort();
  return { nodes, foldedRelus, paramSource, calibrate };
}
