import { CallContext, ConversionState } from './context.js';
import { ConversionError, TopologyError, UnsupportedLayerError } from './errors.js';
import { GraphBuilder } from './ir/builder.js';
import { producerMap, renameTensor } from './ir/graph-utils.js';
import type { Dim, IrModel, IrValueInfo } from './ir/types.js';
import { parseKerasModel } from './keras/topology.js';
import { tensorKeyId } from './keras/types.js';
import type { LayersModelArtifacts, TensorKey } from './keras/types.js';
import { decodeWeights, WeightStore } from './keras/weights.js';
import { layerHandlers } from './layers/registry.js';
import { identityPerm, onnxShape } from './layout.js';
import type { KTensor } from './layout.js';
import { encodeModel } from './onnx/encode.js';
import { runPasses } from './passes/index.js';
import type { PassOptions, PassReport } from './passes/index.js';

export const PRODUCER_NAME = 'resnet-serve keras2onnx';
export const PRODUCER_VERSION = '0.1.0';
/** ORT 1.30 runs it; onnx-proto (ONNX 1.10, IR v8) can express it. */
export const DEFAULT_OPSET = 13;
export const IR_VERSION = 8;

export interface ConvertOptions extends PassOptions {
  /** dim_param of the dynamic batch dimension (default 'N'). */
  batchDimName?: string;
  /** ONNX opset to declare, 13..15 (default 13; the ops emitted are valid in all three). */
  opsetVersion?: number;
}

/** ONNX IR of the converted model plus what the passes did. */
export interface OnnxGraphResult {
  model: IrModel;
  passes: PassReport;
  /** Weights present in the artifacts that no layer used (e.g. unreachable layers). */
  unusedWeights: string[];
}

/**
 * Keras layers model -> ONNX IR. The graph input is NHWC like Keras (symbolic
 * batch dim), named after the Keras input layer; outputs keep Keras layout and
 * are named after the Keras output layers. Throws ConversionError subclasses.
 */
export function buildOnnxGraphDetailed(artifacts: LayersModelArtifacts, options: ConvertOptions = {}): OnnxGraphResult {
  const opsetVersion = options.opsetVersion ?? DEFAULT_OPSET;
  if (opsetVersion < 13 || opsetVersion > 15) throw new ConversionError(`opset ${opsetVersion} is not supported (13..15)`);
  const parsed = parseKerasModel(artifacts.modelTopology);
  const weights = new WeightStore(decodeWeights(artifacts.weightSpecs ?? [], artifacts.weightData));
  const builder = new GraphBuilder(parsed.name);
  const state = new ConversionState(builder, weights, options.batchDimName ?? 'N');

  const tensors = new Map<string, KTensor>();
  for (const call of parsed.calls) {
    const { name, className } = call.layer;
    const handler = Object.hasOwn(layerHandlers, className) ? layerHandlers[className] : undefined;
    if (!handler) throw new UnsupportedLayerError(name, className);
    const inputs = call.inputs.map((k) => lookup(tensors, k, `layer "${name}"`));
    const out = handler(new CallContext(state, call, inputs));
    (Array.isArray(out) ? out : [out]).forEach((t, i) => tensors.set(tensorKeyId({ layer: name, node: call.nodeIndex, tensor: i }), t));
  }

  const graph = builder.graph;
  for (const k of parsed.inputs) {
    const t = lookup(tensors, k, 'model inputs');
    if (!graph.inputs.some((i) => i.name === t.name)) throw new TopologyError(`model input ${tensorKeyId(k)} is not an input layer`);
  }
  const outputNames = new Set<string>();
  const renamed = new Map<string, string>(); // one ONNX tensor may back several Keras outputs
  for (const k of parsed.outputs) {
    const found = lookup(tensors, k, 'model outputs');
    const t = state.toLayout(found, identityPerm(found.shape.length)); // outputs keep Keras layout
    const current = renamed.get(t.name) ?? t.name;
    const wanted = k.tensor === 0 && !outputNames.has(k.layer) ? k.layer : `${k.layer}_${k.tensor}`;
    const { name, inPlace } = nameOutput(builder, current, wanted);
    if (inPlace) renamed.set(t.name, name);
    outputNames.add(name);
    builder.addOutput(name, onnxShape(t));
  }

  const passes = runPasses(graph, options);
  const model: IrModel = {
    graph,
    irVersion: IR_VERSION,
    opsetVersion,
    producerName: PRODUCER_NAME,
    producerVersion: PRODUCER_VERSION,
    docString: `Keras model "${parsed.name}" converted from a TF.js layers model by ${PRODUCER_NAME}`,
    metadata: {
      keras_model_name: parsed.name,
      ...(parsed.kerasVersion ? { keras_version: parsed.kerasVersion } : {}),
      ...(parsed.backend ? { keras_backend: parsed.backend } : {}),
      input_layout: 'NHWC',
    },
  };
  return { model, passes, unusedWeights: weights.unconsumed() };
}

/** Keras layers model -> ONNX IR (see buildOnnxGraphDetailed). */
export function buildOnnxGraph(artifacts: LayersModelArtifacts, options: ConvertOptions = {}): IrModel {
  return buildOnnxGraphDetailed(artifacts, options).model;
}

function lookup(tensors: Map<string, KTensor>, k: TensorKey, where: string): KTensor {
  const t = tensors.get(tensorKeyId(k));
  if (!t) throw new TopologyError(`${where}: tensor ${tensorKeyId(k)} was not produced`);
  return t;
}

/**
 * Give the tensor the Keras output name: rename it in place when it is a
 * plain node output, else (graph input, already an output, name clash) add
 * an Identity.
 */
function nameOutput(builder: GraphBuilder, tensor: string, wanted: string): { name: string; inPlace: boolean } {
  const graph = builder.graph;
  const produced = producerMap(graph).has(tensor);
  const alreadyOutput = graph.outputs.some((o) => o.name === tensor);
  if (produced && !alreadyOutput && !builder.isUsed(wanted)) {
    builder.reserve(wanted);
    renameTensor(graph, tensor, wanted);
    return { name: wanted, inPlace: true };
  }
  const name = builder.uniqueName(wanted);
  graph.nodes.push({ name: `${name}/Identity`, opType: 'Identity', inputs: [tensor], outputs: [name], attributes: {} });
  return { name, inPlace: false };
}

export interface IoInfo {
  name: string;
  shape: Dim[];
}

export interface ConvertedModel {
  /** Serialized ONNX ModelProto. */
  bytes: Uint8Array;
  /** The IR the bytes were encoded from. */
  ir: IrModel;
  inputName: string;
  outputName: string;
  /** e.g. ['N', 224, 224, 3]. */
  inputShape: Dim[];
  /** e.g. ['N', 1000]. */
  outputShape: Dim[];
  inputs: IoInfo[];
  outputs: IoInfo[];
  passes: PassReport;
  unusedWeights: string[];
}

const io = (v: IrValueInfo): IoInfo => ({ name: v.name, shape: v.shape ? [...v.shape] : [] });

/** Keras layers model -> ONNX bytes plus I/O description. */
export function convertLayersModel(artifacts: LayersModelArtifacts, options: ConvertOptions = {}): ConvertedModel {
  const { model, passes, unusedWeights } = buildOnnxGraphDetailed(artifacts, options);
  const bytes = encodeModel(model);
  const inputs = model.graph.inputs.map(io);
  const outputs = model.graph.outputs.map(io);
  return {
    bytes,
    ir: model,
    inputName: inputs[0].name,
    outputName: outputs[0].name,
    inputShape: inputs[0].shape,
    outputShape: outputs[0].shape,
    inputs,
    outputs,
    passes,
    unusedWeights,
  };
}
