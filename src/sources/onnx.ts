/**
 * What an `.onnx` classifier takes and gives, read from its graph with onnx-proto: its one image
 * input (name, NCHW or NHWC told by where the 1- or 3-channel axis is, float32, fixed or dynamic
 * batch, height and width) and its one output's class count. Older exporters (ONNX IR < 4) list
 * initializers among the graph inputs; those are not inputs a caller feeds, so they are skipped.
 */
import { readFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { ModelSourceError } from './errors.js';

// onnx-proto is CommonJS (`module.exports = $root`): under NodeNext ESM only the default import works.
const { onnx } = onnxProto;

export type OnnxDim = number | string | null;

export interface OnnxModelInfo {
  file: string;
  input: {
    name: string;
    dims: OnnxDim[];
    layout: 'NCHW' | 'NHWC';
    /** A number when the model fixes it, else 'dynamic' (a dim_param or an unknown dim). */
    batch: number | 'dynamic';
    height: number | null;
    width: number | null;
    channels: 1 | 3;
    dtype: 'float32';
  };
  /** `producer`: op type of the node computing the output (`Softmax`: it outputs probabilities). */
  output: { name: string; dims: OnnxDim[]; classes: number | null; producer?: string };
  opset?: number;
  producer?: string;
}

export async function inspectOnnxModel(file: string): Promise<OnnxModelInfo> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new ModelSourceError('unreadable_file', file, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  return inspectOnnxBytes(bytes, file);
}

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function dimOf(d: onnxProto.onnx.TensorShapeProto.IDimension): OnnxDim {
  const v = d.dimValue;
  if (v !== null && v !== undefined) {
    const n = typeof v === 'number' ? v : v.toNumber();
    if (n > 0) return n;
  }
  return d.dimParam ? d.dimParam : null;
}

const show = (dims: OnnxDim[]): string => `[${dims.map((d) => d ?? '?').join(', ')}]`;
const typeName = (t: number): string => onnx.TensorProto.DataType[t] ?? String(t);

export function inspectOnnxBytes(bytes: Uint8Array, file: string): OnnxModelInfo {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new ModelSourceError('unreadable_file', file, `not a readable ONNX model: ${(err as Error).message}`, { cause: err });
  }
  const graph = model.graph;
  if (!graph || (graph.node ?? []).length === 0) throw new ModelSourceError('unreadable_file', file, 'not a readable ONNX model: it has no graph');
  const constants = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((i) => !constants.has(i.name));
  if (inputs.length !== 1) {
    throw new ModelSourceError('several_inputs', file, `the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); an image classifier takes exactly one image input`);
  }
  const outputs = graph.output ?? [];
  if (outputs.length !== 1) {
    throw new ModelSourceError('several_outputs', file, `the model has ${outputs.length} outputs (${outputs.map((o) => o.name).join(', ')}); an image classifier has exactly one class-score output`);
  }
  const input = inputs[0];
  const name = input.name ?? '';
  const tensor = input.type?.tensorType;
  if (!tensor) throw new ModelSourceError('not_image_classifier', file, `input "${name}" is not a tensor`);
  if (tensor.elemType !== FLOAT) {
    throw new ModelSourceError('unsupported_config', file, `input "${name}" has element type ${typeName(tensor.elemType ?? 0)}; only float32 (FLOAT) image inputs are supported`);
  }
  const dims = (tensor.shape?.dim ?? []).map(dimOf);
  if (dims.length !== 4) {
    throw new ModelSourceError('not_image_classifier', file, `input "${name}" has shape ${show(dims)} (rank ${dims.length}); an image classifier takes rank 4, NCHW or NHWC`);
  }
  const isChannels = (d: OnnxDim): d is 1 | 3 => d === 1 || d === 3;
  const first = isChannels(dims[1]);
  const last = isChannels(dims[3]);
  if (first === last) {
    throw new ModelSourceError(
      'not_image_classifier',
      file,
      `input "${name}" has shape ${show(dims)}: cannot tell NCHW from NHWC (exactly one of dims 1 and 3 must be 1 or 3 channels)`,
    );
  }
  const layout = first ? 'NCHW' : 'NHWC';
  const [h, w] = layout === 'NCHW' ? [dims[2], dims[3]] : [dims[1], dims[2]];
  const out = outputs[0];
  const outDims = (out.type?.tensorType?.shape?.dim ?? []).map(dimOf);
  const classifierShape = outDims.length === 2 || (outDims.length === 4 && outDims[2] === 1 && outDims[3] === 1);
  if (!classifierShape) {
    throw new ModelSourceError('not_image_classifier', file, `output "${out.name}" has shape ${show(outDims)}; an image classifier outputs [batch, classes]`);
  }
  const opset = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version;
  return {
    file,
    input: {
      name,
      dims,
      layout,
      batch: typeof dims[0] === 'number' ? dims[0] : 'dynamic',
      height: typeof h === 'number' ? h : null,
      width: typeof w === 'number' ? w : null,
      channels: (layout === 'NCHW' ? dims[1] : dims[3]) as 1 | 3,
      dtype: 'float32',
    },
    output: { name: out.name ?? '', dims: outDims, classes: typeof outDims[1] === 'number' ? outDims[1] : null, ...producerOf(graph.node ?? [], out.name ?? '') },
    ...(opset !== undefined && opset !== null ? { opset: typeof opset === 'number' ? opset : opset.toNumber() } : {}),
    ...(model.producerName ? { producer: model.producerName } : {}),
  };
}

/** The op type of the node writing `output`, looking through shape-only ops (Flatten, Reshape...). */
function producerOf(nodes: onnxProto.onnx.INodeProto[], output: string): { producer?: string } {
  const through = new Set(['Identity', 'Flatten', 'Reshape', 'Squeeze']);
  let name = output;
  for (let hops = 0; hops < 8; hops++) {
    const n = nodes.find((x) => (x.output ?? []).includes(name));
    if (!n?.opType) return {};
    if (!through.has(n.opType)) return { producer: n.opType };
    name = (n.input ?? [])[0] ?? '';
  }
  return {};
}
