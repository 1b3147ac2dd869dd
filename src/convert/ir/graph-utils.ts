import type { IrGraph, IrNode } from './types.js';

/** An `ints` attribute, or `def` when absent. */
export function intsAttr(node: IrNode, name: string, def: number[]): number[] {
  const a = node.attributes[name];
  return a?.type === 'ints' ? a.value : def;
}

/** Map tensor name -> node producing it. */
export function producerMap(graph: IrGraph): Map<string, IrNode> {
  const m = new Map<string, IrNode>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) m.set(o, n);
  return m;
}

/** Map tensor name -> nodes consuming it (a node appears once per use). */
export function consumerMap(graph: IrGraph): Map<string, IrNode[]> {
  const m = new Map<string, IrNode[]>();
  for (const n of graph.nodes)
    for (const i of n.inputs) {
      if (!i) continue;
      const list = m.get(i);
      if (list) list.push(n);
      else m.set(i, [n]);
    }
  return m;
}

export function isGraphOutput(graph: IrGraph, name: string): boolean {
  return graph.outputs.some((o) => o.name === name);
}

/** Rename a tensor everywhere it is referenced (node I/O, value infos, outputs). */
export function renameTensor(graph: IrGraph, from: string, to: string): void {
  for (const n of graph.nodes) {
    n.inputs = n.inputs.map((i) => (i === from ? to : i));
    n.outputs = n.outputs.map((o) => (o === from ? to : o));
  }
  for (const o of graph.outputs) if (o.name === from) o.name = to;
  const vi = graph.valueInfo.get(from);
  if (vi) {
    graph.valueInfo.delete(from);
    graph.valueInfo.set(to, { ...vi, name: to });
  }
}

/** Number of node inputs referring to `name`. */
export function useCount(graph: IrGraph, name: string): number {
  let c = 0;
  for (const n of graph.nodes) for (const i of n.inputs) if (i === name) c++;
  return c;
}

/** Re-order nodes topologically (stable); throws on cycles or dangling inputs. */
export function topoSort(graph: IrGraph): void {
  const available = new Set<string>([...graph.inputs.map((i) => i.name), ...graph.initializers.keys(), '']);
  const pending = [...graph.nodes];
  const sorted: IrNode[] = [];
  while (pending.length > 0) {
    const before = pending.length;
    for (let i = 0; i < pending.length; ) {
      const n = pending[i];
      if (n.inputs.every((x) => available.has(x))) {
        sorted.push(n);
        n.outputs.forEach((o) => available.add(o));
        pending.splice(i, 1);
      } else i++;
    }
    if (pending.length === before) {
      const missing = pending[0].inputs.filter((x) => !available.has(x));
      throw new Error(`graph is not a DAG or has dangling inputs: node ${pending[0].name} needs ${missing.join(', ')}`);
    }
  }
  graph.nodes = sorted;
}

/** Drop nodes, initializers and value infos that do not contribute to the outputs. */
export function removeDeadCode(graph: IrGraph): void {
  const prod = producerMap(graph);
  const live = new Set<IrNode>();
  const needed = new Set<string>();
  const stack = graph.outputs.map((o) => o.name);
  while (stack.length > 0) {
    const t = stack.pop() as string;
    if (needed.has(t)) continue;
    needed.add(t);
    const n = prod.get(t);
    if (n && !live.has(n)) {
      live.add(n);
      stack.push(...n.inputs.filter((i) => i));
    }
  }
  graph.nodes = graph.nodes.filter((n) => live.has(n));
  for (const k of [...graph.initializers.keys()]) if (!needed.has(k)) graph.initializers.delete(k);
  const produced = new Set(graph.nodes.flatMap((n) => n.outputs));
  for (const k of [...graph.valueInfo.keys()]) if (!produced.has(k) || isGraphOutput(graph, k)) graph.valueInfo.delete(k);
}
