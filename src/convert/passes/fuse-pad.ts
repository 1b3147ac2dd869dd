import { consumerMap, intsAttr, isGraphOutput, producerMap } from '../ir/graph-utils.js';
import { attr } from '../ir/types.js';
import type { IrGraph, IrNode } from '../ir/types.js';
import { provablyNonNegative } from './non-negative.js';

/** Spatial [top, left, bottom, right] of a zero, constant-mode NCHW Pad, else null. */
export function zeroSpatialPads(graph: IrGraph, pad: IrNode): number[] | null {
  const mode = pad.attributes.mode;
  if (mode && !(mode.type === 'string' && mode.value === 'constant')) return null;
  const pads = graph.initializers.get(pad.inputs[1]);
  if (!pads || pads.dataType !== 'int64' || pads.data.length !== 8) return null;
  const p = Array.from(pads.data as BigInt64Array, Number);
  if (p[0] || p[1] || p[4] || p[5] || p.some((v) => v < 0)) return null;
  const value = pad.inputs[2];
  if (value) {
    const v = graph.initializers.get(value);
    if (!v || v.data.length !== 1 || Number(v.data[0]) !== 0) return null;
  }
  return [p[2], p[3], p[6], p[7]];
}

function explicitPads(node: IrNode): boolean {
  const a = node.attributes.auto_pad;
  return !a || (a.type === 'string' && a.value === 'NOTSET');
}

/**
 * Can `node` absorb extra zero padding on its data input?
 *  - Conv: always (its pads are zeros).
 *  - AveragePool without own pads: yes, with count_include_pad=1 (zeros count, as after ZeroPadding2D).
 *  - MaxPool: its pads act as -inf, so only when the input is provably >= 0
 *    and every side stays smaller than the kernel (no all-padding windows).
 */
function canAbsorb(graph: IrGraph, node: IrNode, pads: number[], padInput: string, producers: Map<string, IrNode>): boolean {
  if (!explicitPads(node) || node.inputs.slice(1).includes(node.inputs[0])) return false;
  const own = intsAttr(node, 'pads', [0, 0, 0, 0]);
  if (own.length !== 4) return false;
  if (node.opType === 'Conv') return true;
  if (node.opType === 'AveragePool') {
    const cip = node.attributes.count_include_pad;
    return own.every((v) => v === 0) || (cip?.type === 'int' && cip.value === 1);
  }
  if (node.opType === 'MaxPool') {
    const kernel = intsAttr(node, 'kernel_shape', []);
    if (kernel.length !== 2) return false;
    const fits = own.every((v, i) => v + pads[i] < kernel[i % 2]);
    return fits && provablyNonNegative(graph, padInput, producers);
  }
  return false;
}

/** Merge zero Pad nodes into the pads of all their consumers when each can absorb it. Returns fused count. */
export function fusePadIntoConsumers(graph: IrGraph): number {
  const producers = producerMap(graph);
  const consumers = consumerMap(graph);
  const removed = new Set<IrNode>();
  for (const pad of graph.nodes) {
    if (pad.opType !== 'Pad') continue;
    const pads = zeroSpatialPads(graph, pad);
    const out = pad.outputs[0];
    const users = consumers.get(out) ?? [];
    if (!pads || users.length === 0 || isGraphOutput(graph, out)) continue;
    if (!users.every((u) => u.inputs[0] === out && canAbsorb(graph, u, pads, pad.inputs[0], producers))) continue;
    for (const u of users) {
      const own = intsAttr(u, 'pads', [0, 0, 0, 0]);
      u.attributes.pads = attr.ints(own.map((v, i) => v + pads[i]));
      if (u.opType === 'AveragePool') u.attributes.count_include_pad = attr.int(1);
      u.inputs[0] = pad.inputs[0];
    }
    graph.valueInfo.delete(out);
    removed.add(pad);
  }
  graph.nodes = graph.nodes.filter((n) => !removed.has(n));
  return removed.size;
}
