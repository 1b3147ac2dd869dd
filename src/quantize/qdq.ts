/**
 * QDQ insertion on the converter's IR (after `selectQuantization` and calibration):
 *  - activations: one QuantizeLinear (uint8, per tensor) after the producer, one DequantizeLinear
 *    per consumer (ORT wants a DQ owned by each node group);
 *  - Conv weights: int8 per output channel (axis 0), symmetric, zero point 0; Gemm B per column
 *    (axis 1); biases int32 with scale = input scale x weight scale, zero point 0; both feed the
 *    node through a DequantizeLinear, the form ORT's QDQ selectors turn into QLinearConv / QGemm.
 * Initializer data may alias the decoded weights: new arrays are created, nothing is mutated.
 */
import { GraphBuilder, consumerMap, removeDeadCode, topoSort } from '../convert/index.js';
import { attr } from '../convert/index.js';
import type { IrGraph, IrModel, IrNode, IrTensor } from '../convert/index.js';
import { activationParams, biasScales, fitBiasScales, quantizeBias, quantizePerChannel, requantizePerChannel, type QuantParams } from './quant-math.js';
import { requireRanges, type RangeMap } from './ranges.js';
import type { QuantSelection } from './select.js';

export interface QdqReport {
  quantizedNodes: Record<string, number>;
  foldedRelus: number;
  quantizedTensors: number;
}

function floatData(graph: IrGraph, name: string): IrTensor {
  const t = graph.initializers.get(name);
  if (!t || t.dataType !== 'float32') throw new Error(`initializer ${name} is not float32`);
  return t;
}

/** Replaces each folded Relu by renaming its producer's output to the Relu's output. */
function foldRelus(graph: IrGraph, sel: QuantSelection): void {
  const byOutput = new Map<string, string>();
  for (const [x, y] of sel.foldedRelus.values()) byOutput.set(x, y);
  graph.nodes = graph.nodes.filter((n) => !sel.foldedRelus.has(n.name));
  for (const n of graph.nodes) n.outputs = n.outputs.map((o) => byOutput.get(o) ?? o);
  for (const x of byOutput.keys()) graph.valueInfo.delete(x);
}

class QdqWriter {
  readonly b: GraphBuilder;
  private readonly paramNames = new Map<string, [string, string]>();

  constructor(
    private readonly graph: IrGraph,
    private readonly params: Map<string, QuantParams>,
  ) {
    this.b = new GraphBuilder(graph);
  }

  /** Shared scale / zero-point initializers of one parameter source. */
  activationInits(source: string): [string, string] {
    let names = this.paramNames.get(source);
    if (!names) {
      const p = this.params.get(source) as QuantParams;
      names = [
        this.b.addInitializer(`${source}/scale`, 'float32', [], Float32Array.of(p.scale)),
        this.b.addInitializer(`${source}/zero_point`, 'uint8', [], Uint8Array.of(p.zeroPoint)),
      ];
      this.paramNames.set(source, names);
    }
    return names;
  }

  node(opType: string, inputs: string[], output: string, attrs: IrNode['attributes'] = {}): void {
    this.graph.nodes.push({ name: this.b.uniqueName(`${output}/node`), opType, inputs, outputs: [output], attributes: attrs });
  }

  /** Q after the producer, a DQ per consuming input slot. */
  quantizeActivation(tensor: string, source: string, consumers: IrNode[]): void {
    const [scale, zp] = this.activationInits(source);
    const shape = this.b.getShape(tensor);
    const q = this.b.uniqueName(`${tensor}/quantized`);
    this.node('QuantizeLinear', [tensor, scale, zp], q);
    this.b.setShape(q, shape, 'uint8');
    for (const c of consumers) {
      c.inputs.forEach((inp, slot) => {
        if (inp !== tensor) return;
        const dq = this.b.uniqueName(`${tensor}/dequantized`);
        this.node('DequantizeLinear', [q, scale, zp], dq);
        this.b.setShape(dq, shape);
        c.inputs[slot] = dq;
      });
    }
  }

  /** Constant -> quantized initializer + DQ; returns the DQ output to feed the node. */
  constantDq(base: string, data: Int8Array | Int32Array, dims: number[], scales: Float32Array, axis: number): string {
    const isInt8 = data instanceof Int8Array;
    const q = this.b.addInitializer(`${base}/quantized`, isInt8 ? 'int8' : 'int32', dims, data);
    const s = this.b.addInitializer(`${base}/scale`, 'float32', [scales.length], scales);
    const zeros = isInt8 ? new Int8Array(scales.length) : new Int32Array(scales.length);
    const zp = this.b.addInitializer(`${base}/zero_point`, isInt8 ? 'int8' : 'int32', [scales.length], zeros);
    const dq = this.b.uniqueName(`${base}/dequantized`);
    this.node('DequantizeLinear', [q, s, zp], dq, { axis: attr.int(axis) });
    this.b.setShape(dq, dims);
    return dq;
  }

  /** Weight (per channel along `axis`) and bias of a Conv / Gemm behind DQs. */
  quantizeWeights(n: IrNode, axis: number, inputScale: number): void {
    const w = floatData(this.graph, n.inputs[1]);
    let { values, scales } = quantizePerChannel(w.data as Float32Array, w.dims, axis);
    const bias = n.inputs[2] ? floatData(this.graph, n.inputs[2]) : undefined;
    if (bias) {
      const fitted = fitBiasScales(bias.data as Float32Array, inputScale, scales);
      if (fitted !== scales) values = requantizePerChannel(w.data as Float32Array, w.dims, axis, (scales = fitted));
    }
    n.inputs[1] = this.constantDq(`${n.name}/weight`, values, w.dims, scales, axis);
    if (bias) {
      const qb = quantizeBias(bias.data as Float32Array, inputScale, scales);
      n.inputs[2] = this.constantDq(`${n.name}/bias`, qb, bias.dims, biasScales(inputScale, scales), 0);
    }
  }
}

/**
 * Rewrites `model` (fp32 IR, edited in place) into its QDQ form. `ranges` must hold a range for
 * every tensor in `sel.calibrate`.
 */
export function insertQdq(model: IrModel, sel: QuantSelection, ranges: RangeMap): QdqReport {
  requireRanges(ranges, sel.calibrate, 'QDQ insertion');
  const graph = model.graph;
  const foldedOutputs = new Set([...sel.foldedRelus.values()].map(([, y]) => y));
  const params = new Map<string, QuantParams>();
  for (const t of sel.calibrate) {
    const r = ranges.get(t)!;
    // A folded Relu's output must have zero point 0: that is what makes the Q act as the Relu.
    params.set(t, activationParams(foldedOutputs.has(t) ? 0 : r.min, r.max));
  }

  foldRelus(graph, sel);
  const w = new QdqWriter(graph, params);
  const consumers = consumerMap(graph);
  const quantizedNodes: Record<string, number> = {};
  for (const n of [...graph.nodes]) {
    if (!sel.nodes.has(n.name)) continue;
    quantizedNodes[n.opType] = (quantizedNodes[n.opType] ?? 0) + 1;
    if (n.opType !== 'Conv' && n.opType !== 'Gemm') continue;
    const source = sel.paramSource.get(n.inputs[0]);
    if (!source) throw new Error(`QDQ insertion: input of ${n.name} is not quantized`);
    if (n.opType === 'Gemm') {
      // ORT's Gemm selector reads these attributes; state them explicitly.
      Object.assign(n.attributes, { alpha: attr.float(1), beta: attr.float(1), transA: attr.int(0), transB: attr.int(0) });
    }
    w.quantizeWeights(n, n.opType === 'Conv' ? 0 : 1, (params.get(source) as QuantParams).scale);
  }
  for (const [tensor, source] of [...sel.paramSource.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    w.quantizeActivation(tensor, source, consumers.get(tensor) ?? []);
  }
  removeDeadCode(graph); // the float weights the DQs replaced
  topoSort(graph);
  return { quantizedNodes, foldedRelus: sel.foldedRelus.size, quantizedTensors: sel.paramSource.size };
}
