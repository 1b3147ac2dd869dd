import type { Dim, IrAttribute, IrGraph, IrNode, IrTensor, IrValueInfo, TensorData, TensorDataType } from './types.js';

export interface NodeOptions {
  attrs?: Record<string, IrAttribute>;
  /** Base for the node and output names (made unique). Defaults to the op type. */
  name?: string;
  /** Static shapes of the outputs, recorded as value infos (null = unknown). */
  shapes?: (Dim[] | null)[];
  /** Number of outputs when no shapes are given (default 1). */
  outputCount?: number;
  elemType?: TensorDataType;
}

/**
 * Small builder over an IrGraph: unique naming, constants, nodes with
 * recorded output shapes. Can also wrap an existing graph (for passes).
 */
export class GraphBuilder {
  readonly graph: IrGraph;
  private readonly used = new Set<string>();

  constructor(graphOrName: IrGraph | string) {
    this.graph =
      typeof graphOrName === 'string'
        ? { name: graphOrName, nodes: [], initializers: new Map(), inputs: [], outputs: [], valueInfo: new Map() }
        : graphOrName;
    const g = this.graph;
    for (const n of g.nodes) {
      this.used.add(n.name);
      n.outputs.forEach((o) => this.used.add(o));
    }
    for (const k of g.initializers.keys()) this.used.add(k);
    for (const v of g.inputs) this.used.add(v.name);
  }

  /** A name not yet used by any tensor or node: `base`, else `base_1`, `base_2`, ... */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Reserve an exact name (throws if taken). */
  reserve(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX name "${name}" is already used`);
    this.used.add(name);
    return name;
  }

  isUsed(name: string): boolean {
    return this.used.has(name);
  }

  addInput(name: string, shape: Dim[], elemType: TensorDataType = 'float32'): string {
    this.reserve(name);
    this.graph.inputs.push({ name, elemType, shape: [...shape] });
    return name;
  }

  addOutput(name: string, shape: Dim[] | null, elemType: TensorDataType = 'float32'): void {
    this.graph.outputs.push({ name, elemType, shape: shape ? [...shape] : null });
    this.graph.valueInfo.delete(name);
  }

  addInitializer(base: string, dataType: TensorDataType, dims: number[], data: TensorData): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw new Error(`initializer ${base}: ${data.length} values for dims [${dims}]`);
    const name = this.uniqueName(base);
    const t: IrTensor = { name, dataType, dims: [...dims], data };
    this.graph.initializers.set(name, t);
    return name;
  }

  /** Float constant; a Float32Array is kept by reference (passes replace data, never mutate it). */
  constF32(base: string, dims: number[], values: ArrayLike<number>): string {
    return this.addInitializer(base, 'float32', dims, values instanceof Float32Array ? values : Float32Array.from(values));
  }

  /** 1-D int64 constant (shapes, pads, axes). */
  constI64(base: string, values: number[]): string {
    return this.addInitializer(base, 'int64', [values.length], BigInt64Array.from(values.map((v) => BigInt(v))));
  }

  /** Append a node; returns its output names. */
  addNode(opType: string, inputs: string[], opts: NodeOptions = {}): string[] {
    const base = opts.name ?? opType;
    const nodeName = this.uniqueName(base);
    const count = opts.shapes?.length ?? opts.outputCount ?? 1;
    // Node names and tensor names live in separate ONNX namespaces; reusing the
    // node name for its first output keeps graphs readable.
    const outputs = [nodeName];
    for (let i = 1; i < count; i++) outputs.push(this.uniqueName(`${nodeName}:${i}`));
    const node: IrNode = { name: nodeName, opType, inputs: [...inputs], outputs, attributes: { ...(opts.attrs ?? {}) } };
    this.graph.nodes.push(node);
    opts.shapes?.forEach((s, i) => this.setShape(outputs[i], s, opts.elemType));
    return outputs;
  }

  /** Single-output convenience around addNode. */
  op(opType: string, inputs: string[], shape: Dim[] | null, attrs: Record<string, IrAttribute> = {}, name?: string): string {
    return this.addNode(opType, inputs, { attrs, name, shapes: [shape] })[0];
  }

  setShape(name: string, shape: Dim[] | null, elemType: TensorDataType = 'float32'): void {
    this.graph.valueInfo.set(name, { name, elemType, shape: shape ? [...shape] : null });
  }

  /** Known shape of any tensor in the graph (input, output, initializer or intermediate). */
  getShape(name: string): Dim[] | null {
    const init = this.graph.initializers.get(name);
    if (init) return [...init.dims];
    const vi: IrValueInfo | undefined =
      this.graph.valueInfo.get(name) ?? this.graph.inputs.find((v) => v.name === name) ?? this.graph.outputs.find((v) => v.name === name);
    return vi?.shape ? [...vi.shape] : null;
  }
}
