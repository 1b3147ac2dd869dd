import type { IrGraph, IrNode } from '../ir/types.js';

const ALWAYS_NON_NEGATIVE = new Set(['Relu', 'Sigmoid', 'Softmax', 'HardSigmoid', 'Exp', 'Softplus', 'Abs']);
/** Ops whose output is >= 0 when all their data inputs are. */
const PRESERVES = new Set(['Transpose', 'Identity', 'Reshape', 'Flatten', 'MaxPool', 'AveragePool', 'GlobalMaxPool', 'GlobalAveragePool', 'Concat', 'Add', 'Mul', 'Max', 'Resize', 'Slice', 'Squeeze', 'Unsqueeze']);
/** Inputs of these ops that are data (rest are shapes/axes/etc.). */
const DATA_INPUTS: Record<string, number> = { Reshape: 1, Resize: 1, Slice: 1, Squeeze: 1, Unsqueeze: 1, Pad: 1 };

function constantAtLeastZero(graph: IrGraph, name: string): boolean {
  const t = graph.initializers.get(name);
  if (!t || t.dataType !== 'float32') return false;
  for (const v of t.data as Float32Array) if (!(v >= 0)) return false;
  return true;
}

/**
 * Conservative proof that every element of `tensor` is >= 0 (e.g. it comes
 * from a Relu through layout ops). Used to decide whether zero padding may be
 * replaced by MaxPool's implicit -inf padding.
 */
export function provablyNonNegative(graph: IrGraph, tensor: string, producers: Map<string, IrNode>, depth = 0): boolean {
  if (constantAtLeastZero(graph, tensor)) return true;
  const p = producers.get(tensor);
  if (!p || depth > 32) return false;
  if (ALWAYS_NON_NEGATIVE.has(p.opType)) return true;
  if (p.opType === 'Clip') return Boolean(p.inputs[1]) && constantAtLeastZero(graph, p.inputs[1]);
  if (p.opType === 'Pad') {
    const value = p.inputs[2];
    if (value && !constantAtLeastZero(graph, value)) return false;
  } else if (!PRESERVES.has(p.opType)) return false;
  const data = p.inputs.slice(0, DATA_INPUTS[p.opType] ?? p.inputs.length).filter((i) => i);
  return data.every((i) => provablyNonNegative(graph, i, producers, depth + 1));
}
