import { GraphBuilder } from '../ir/builder.js';
import { consumerMap, isGraphOutput, producerMap, useCount } from '../ir/graph-utils.js';
import type { IrGraph, IrTensor } from '../ir/types.js';

function floatInit(graph: IrGraph, name: string | undefined): IrTensor | undefined {
  const t = name ? graph.initializers.get(name) : undefined;
  return t && t.dataType === 'float32' ? t : undefined;
}

/**
 * Fold BatchNormalization into the Conv feeding it when that Conv output has
 * no other consumer: W'[c] = W[c] * s[c], b'[c] = (b[c] - mean[c]) * s[c] + beta[c]
 * with s = gamma / sqrt(var + eps). Returns the number of folded BNs.
 */
export function foldBatchNormIntoConv(graph: IrGraph): number {
  const producers = producerMap(graph);
  const consumers = consumerMap(graph);
  const removed = new Set<object>();
  let builder: GraphBuilder | undefined;
  for (const bn of graph.nodes) {
    if (bn.opType !== 'BatchNormalization' || bn.outputs.length !== 1) continue;
    const x = bn.inputs[0];
    const conv = producers.get(x);
    if (!conv || conv.opType !== 'Conv' || (consumers.get(x) ?? []).length !== 1 || isGraphOutput(graph, x)) continue;
    const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((n) => floatInit(graph, n));
    const w = floatInit(graph, conv.inputs[1]);
    const b = floatInit(graph, conv.inputs[2]);
    if (!gamma || !beta || !mean || !variance || !w || useCount(graph, w.name) !== 1) continue;
    if (conv.inputs[2] && (!b || useCount(graph, b.name) !== 1)) continue;
    const eps = bn.attributes.epsilon?.type === 'float' ? bn.attributes.epsilon.value : 1e-5;
    const cout = w.dims[0];
    if (gamma.data.length !== cout) continue;
    const per = w.data.length / cout;
    const wData = new Float32Array(w.data.length);
    const bData = new Float32Array(cout);
    for (let c = 0; c < cout; c++) {
      const s = Number(gamma.data[c]) / Math.sqrt(Number(variance.data[c]) + eps);
      for (let j = 0; j < per; j++) wData[c * per + j] = Number(w.data[c * per + j]) * s;
      bData[c] = ((b ? Number(b.data[c]) : 0) - Number(mean.data[c])) * s + Number(beta.data[c]);
    }
    w.data = wData;
    if (b) b.data = bData;
    else {
      builder ??= new GraphBuilder(graph);
      conv.inputs[2] = builder.addInitializer(`${conv.name}/folded_bias`, 'float32', [cout], bData);
    }
    // The Conv takes over the BN output name so downstream references stay valid.
    graph.valueInfo.delete(x);
    conv.outputs[0] = bn.outputs[0];
    removed.add(bn);
  }
  graph.nodes = graph.nodes.filter((n) => !removed.has(n));
  return removed.size;
}
