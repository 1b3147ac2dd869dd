import { removeDeadCode, topoSort } from '../ir/graph-utils.js';
import type { IrGraph } from '../ir/types.js';
import { foldBatchNormIntoConv } from './fold-batchnorm.js';
import { fusePadIntoConsumers } from './fuse-pad.js';
import { guardMaxPoolAfterPad } from './guard-maxpool-pad.js';

export { foldBatchNormIntoConv } from './fold-batchnorm.js';
export { fusePadIntoConsumers } from './fuse-pad.js';
export { guardMaxPoolAfterPad } from './guard-maxpool-pad.js';
export { provablyNonNegative } from './non-negative.js';

export interface PassOptions {
  /** Fold BatchNormalization into a preceding Conv (default true). */
  foldBatchNorm?: boolean;
  /** Merge zero Pad into following Conv / AveragePool / safe MaxPool (default true). */
  fusePad?: boolean;
}

export interface PassReport {
  foldedBatchNorms: number;
  fusedPads: number;
}

/**
 * The standard pipeline on the IR: optional optimisations, then the
 * (always-on) guard against ORT's unsafe Pad+MaxPool fusion, dead-code
 * removal and a topological sort.
 */
export function runPasses(graph: IrGraph, options: PassOptions = {}): PassReport {
  const foldedBatchNorms = options.foldBatchNorm === false ? 0 : foldBatchNormIntoConv(graph);
  const fusedPads = options.fusePad === false ? 0 : fusePadIntoConsumers(graph);
  guardMaxPoolAfterPad(graph);
  removeDeadCode(graph);
  topoSort(graph);
  return { foldedBatchNorms, fusedPads };
}
