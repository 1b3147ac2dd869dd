import onnxProto from 'onnx-proto';
import { topoSort } from '../ir/graph-utils.js';
import type { Dim, IrAttribute, IrModel, IrTensor, IrValueInfo, TensorDataType } from '../ir/types.js';

// onnx-proto is CommonJS (`module.exports = $root`): under NodeNext ESM only the default import works.
const { onnx } = onnxProto;

const DATA_TYPES: Record<TensorDataType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function tensorProto(t: IrTensor): onnxProto.onnx.ITensorProto {
  // raw_data is little-endian by spec; typed arrays use host order.
  if (!LITTLE_ENDIAN) throw new Error('encodeModel: big-endian hosts are not supported');
  return {
    name: t.name,
    dataType: DATA_TYPES[t.dataType],
    dims: t.dims,
    rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
  };
}

function dimProto(d: Dim): onnxProto.onnx.TensorShapeProto.IDimension {
  if (typeof d === 'number') return { dimValue: d };
  if (typeof d === 'string') return { dimParam: d };
  return {};
}

function valueInfoProto(v: IrValueInfo): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: DATA_TYPES[v.elemType],
        ...(v.shape ? { shape: { dim: v.shape.map(dimProto) } } : {}),
      },
    },
  };
}

function attributeProto(name: string, a: IrAttribute): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
  }
}

/** Serialise the IR to ONNX ModelProto bytes (nodes are topologically sorted first). */
export function encodeModel(model: IrModel): Uint8Array {
  const g = model.graph;
  topoSort(g);
  const proto: onnxProto.onnx.IModelProto = {
    irVersion: model.irVersion,
    opsetImport: [{ domain: '', version: model.opsetVersion }],
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    docString: model.docString,
    metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        domain: n.domain ?? '',
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes).map(([k, a]) => attributeProto(k, a)),
      })),
      initializer: [...g.initializers.values()].map(tensorProto),
      input: g.inputs.map(valueInfoProto),
      output: g.outputs.map(valueInfoProto),
      valueInfo: [...g.valueInfo.values()].map(valueInfoProto),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}
