/**
 * Keras (TF.js layers model) -> ONNX converter.
 *
 *   convertLayersModel(artifacts, options?): ConvertedModel
 *     { bytes, ir, inputName, outputName, inputShape, outputShape, inputs, outputs, passes, unusedWeights }
 *     `artifacts` is a tf.io.ModelArtifacts of a layers model (modelTopology =
 *     Keras model JSON, weightSpecs, weightData). Input stays NHWC `[N, H, W, C]`
 *     with symbolic batch `N`; names are the Keras input/output layer names.
 *   buildOnnxGraph(artifacts, options?): IrModel   - the editable IR (after passes)
 *   buildOnnxGraphDetailed(...)                      - IR + pass report + unused weights
 *   encodeModel(ir): Uint8Array                      - IR -> ONNX ModelProto bytes
 *   checkOnnxModel(bytes): Promise<{inputNames, outputNames}> - ONNX Runtime accepts it
 *
 * Options: { batchDimName='N', opsetVersion=13, foldBatchNorm=true, fusePad=true }.
 * Errors: ConversionError and subclasses UnsupportedLayerError (layerName,
 * className), UnsupportedConfigError, WeightError, TopologyError.
 */
/** Bump when the converter's output for the same input changes: it keys the ONNX cache. */
export const CONVERTER_VERSION = '1';

export {
  buildOnnxGraph,
  buildOnnxGraphDetailed,
  convertLayersModel,
  DEFAULT_OPSET,
  IR_VERSION,
  PRODUCER_NAME,
} from './converter.js';
export type { ConvertedModel, ConvertOptions, IoInfo, OnnxGraphResult } from './converter.js';
export { ConversionError, TopologyError, UnsupportedConfigError, UnsupportedLayerError, WeightError } from './errors.js';
export { GraphBuilder } from './ir/builder.js';
export type { NodeOptions } from './ir/builder.js';
export { consumerMap, intsAttr, isGraphOutput, producerMap, removeDeadCode, renameTensor, topoSort, useCount } from './ir/graph-utils.js';
export { attr } from './ir/types.js';
export type { Dim, IrAttribute, IrGraph, IrModel, IrNode, IrTensor, IrValueInfo, TensorData, TensorDataType } from './ir/types.js';
export type { LayersModelArtifacts, WeightSpec } from './keras/types.js';
export { layerHandlers, supportedLayerClasses } from './layers/registry.js';
export type { LayerContext, LayerHandler } from './layers/types.js';
export { checkOnnxModel } from './onnx/check.js';
export type { OnnxCheckResult } from './onnx/check.js';
export { encodeModel } from './onnx/encode.js';
export { foldBatchNormIntoConv, fusePadIntoConsumers, guardMaxPoolAfterPad, provablyNonNegative, runPasses } from './passes/index.js';
export type { PassOptions, PassReport } from './passes/index.js';
