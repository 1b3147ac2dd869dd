import { GraphBuilder } from '../ir/builder.js';
import { intsAttr, producerMap } from '../ir/graph-utils.js';
import { attr } from '../ir/types.js';
import type { IrGraph } from '../ir/types.js';
import { zeroSpatialPads } from './fuse-pad.js';

/** Half-open interval overlap. */
function overlap(a0: number, a1: number, b0: number, b1: number): [number, number] | null {
  const lo = Math.max(a0, b0);
  const hi = Math.min(a1, b1);
  return lo < hi ? [lo, hi] : null;
}

/**
 * ONNX Runtime's own PadFusion (graph optimisation level >= basic) folds a
 * zero Pad into the following MaxPool's pads. MaxPool pads act as -inf, so
 * this is wrong whenever a border window holds only negative values, and
 * ORT 1.30 still does it. For each MaxPool still fed by a zero Pad we emit
 * an exact form ORT leaves alone:
 *   Pad(x, -inf, zero pads + pool pads) -> MaxPool(no pads) -> Max(., mask)
 * where mask[i, j] = 0 if window (i, j) covers a zero-padded cell, else -inf.
 * Needs static spatial dims; otherwise the pattern is left untouched.
 * Returns the number of MaxPool nodes rewritten.
 */
export function guardMaxPoolAfterPad(graph: IrGraph): number {
  const producers = producerMap(graph);
  let builder: GraphBuilder | undefined;
  let changed = 0;
  for (const pool of [...graph.nodes]) {
    if (pool.opType !== 'MaxPool' || pool.outputs.length !== 1) continue;
    const pad = producers.get(pool.inputs[0]);
    if (pad?.opType !== 'Pad') continue;
    const zero = zeroSpatialPads(graph, pad);
    const kernel = intsAttr(pool, 'kernel_shape', []);
    const strides = intsAttr(pool, 'strides', [1, 1]);
    const own = intsAttr(pool, 'pads', [0, 0, 0, 0]);
    const ceil = pool.attributes.ceil_mode;
    const auto = pool.attributes.auto_pad;
    if (!zero || kernel.length !== 2 || own.length !== 4 || intsAttr(pool, 'dilations', [1, 1]).some((d) => d !== 1)) continue;
    if ((ceil?.type === 'int' && ceil.value !== 0) || (auto?.type === 'string' && auto.value !== 'NOTSET')) continue;
    builder ??= new GraphBuilder(graph);
    const inShape = builder.getShape(pad.inputs[0]);
    const outShape = builder.getShape(pool.outputs[0]);
    if (!inShape || !outShape || inShape.length !== 4 || outShape.length !== 4) continue;
    const [, , h, w] = inShape;
    const [oh, ow] = [outShape[2], outShape[3]];
    if (typeof h !== 'number' || typeof w !== 'number' || typeof oh !== 'number' || typeof ow !== 'number') continue;

    // Coordinates in the fully padded plane: zero-padded rectangle and real rectangle.
    const [zt, zl, zb, zr] = zero;
    const [pt, pl, pb, pr] = own;
    const zeroRows: [number, number] = [pt, pt + zt + h + zb];
    const zeroCols: [number, number] = [pl, pl + zl + w + zr];
    const realRows: [number, number] = [pt + zt, pt + zt + h];
    const realCols: [number, number] = [pl + zl, pl + zl + w];
    const mask = new Float32Array(oh * ow).fill(-Infinity);
    for (let i = 0; i < oh; i++) {
      const rows = overlap(i * strides[0], i * strides[0] + kernel[0], ...zeroRows);
      for (let j = 0; j < ow; j++) {
        const cols = overlap(j * strides[1], j * strides[1] + kernel[1], ...zeroCols);
        if (!rows || !cols) continue;
        const inside = rows[0] >= realRows[0] && rows[1] <= realRows[1] && cols[0] >= realCols[0] && cols[1] <= realCols[1];
        if (!inside) mask[i * ow + j] = 0;
      }
    }

    const total = [zt + pt, zl + pl, zb + pb, zr + pr];
    const pads = builder.constI64(`${pool.name}/pads`, [0, 0, total[0], total[1], 0, 0, total[2], total[3]]);
    const negInf = builder.constF32(`${pool.name}/neg_inf`, [], [-Infinity]);
    const paddedShape = [inShape[0], inShape[1], h + total[0] + total[2], w + total[1] + total[3]];
    const [padded] = builder.addNode('Pad', [pad.inputs[0], pads, negInf], {
      name: `${pool.name}/neg_inf_pad`,
      shapes: [paddedShape],
      attrs: { mode: attr.string('constant') },
    });
    const out = pool.outputs[0];
    const pooled = builder.uniqueName(`${pool.name}/unmasked`);
    builder.setShape(pooled, outShape);
    pool.inputs[0] = padded;
    pool.outputs[0] = pooled;
    delete pool.attributes.pads;
    graph.nodes.push({
      name: builder.uniqueName(`${pool.name}/zero_pad_mask`),
      opType: 'Max',
      inputs: [pooled, builder.constF32(`${pool.name}/zero_pad_mask`, [oh, ow], mask)],
      outputs: [out],
      attributes: {},
    });
    changed++;
  }
  return changed;
}
