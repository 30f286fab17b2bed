// Reads what a manifest needs from an ONNX ModelProto without a protobuf library: the graph's
// inputs (name, fixed shape), its nodes (operator types, input names) and its initializers (the
// weights: name and dims). Parameters are the initializers' elements; multiply-adds are counted
// for Gemm with constant weights (one input row: K × N) and every other operator that multiplies
// is named as not counted, since its cost needs shapes the file alone does not give.

import { EdgewattError } from '../../common/errors.js';

export class OnnxGraphError extends EdgewattError {
  override readonly name = 'OnnxGraphError';
}

interface Field {
  field: number;
  wire: number;
  /** Varint value (wire 0), or the bytes (wire 2). */
  value: bigint | Uint8Array;
}

/** Field numbers from onnx/onnx.proto. */
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const NODE_INPUT = 1;
const NODE_OP_TYPE = 4;
const TENSOR_DIMS = 1;
const TENSOR_NAME = 8;

function* fields(bytes: Uint8Array): Generator<Field> {
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[at++];
      if (byte === undefined || shift > 63n) throw new OnnxGraphError('the ONNX file ends inside a number');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield { field, wire, value: varint() };
    else if (wire === 2) {
      const length = Number(varint());
      if (at + length > bytes.length) throw new OnnxGraphError('the ONNX file ends inside a field');
      yield { field, wire, value: bytes.subarray(at, at + length) };
      at += length;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new OnnxGraphError(`not an ONNX model: protobuf wire type ${wire} at byte ${at}`);
  }
}

const text = (value: Uint8Array) => new TextDecoder().decode(value);
const sub = (bytes: Uint8Array, field: number) =>
  [...fields(bytes)]
    .filter((f) => f.field === field && f.value instanceof Uint8Array)
    .map((f) => f.value as Uint8Array);

/** Repeated int64 that may be packed (wire 2) or not (wire 0). */
function ints(bytes: Uint8Array, field: number): number[] {
  const out: number[] = [];
  for (const f of fields(bytes)) {
    if (f.field !== field) continue;
    if (typeof f.value === 'bigint') out.push(Number(f.value));
    else for (const inner of fields(withKeys(f.value))) out.push(Number(inner.value as bigint));
  }
  return out;
}

/** Packed varints re-keyed as field 1, wire 0, so that fields() can read them. */
function withKeys(packed: Uint8Array): Uint8Array {
  const out: number[] = [];
  let start = 0;
  for (let i = 0; i < packed.length; i++) {
    if (((packed[i] ?? 0) & 0x80) === 0) {
      out.push(0x08, ...packed.subarray(start, i + 1));
      start = i + 1;
    }
  }
  return Uint8Array.from(out);
}

/** Operators whose multiply-adds matter (as convolutions and dense layers do for TF.js models). */
const MULTIPLYING = new Set([
  'Conv',
  'ConvTranspose',
  'ConvInteger',
  'QLinearConv',
  'MatMul',
  'MatMulInteger',
  'QLinearMatMul',
  'Gemm',
  'Einsum',
  'LSTM',
  'GRU',
  'RNN',
  'Attention',
]);

export interface OnnxGraphSummary {
  inputName: string;
  /** The first input's shape without the batch dimension, or undefined when a dimension is not fixed. */
  inputShape: number[] | undefined;
  params: number;
  /** Multiply-adds counted for one input. */
  macs: number;
  /** Operator types that multiply but were not counted in `macs`. */
  uncounted: string[];
  operators: string[];
}

/** Summarises an ONNX ModelProto (bytes of a .onnx file). */
export function summariseOnnx(bytes: Uint8Array): OnnxGraphSummary {
  const [graph] = sub(bytes, MODEL_GRAPH);
  if (graph === undefined) throw new OnnxGraphError('not an ONNX model: no graph (ModelProto field 7)');
  const initializers = new Map<string, number[]>();
  for (const tensor of sub(graph, GRAPH_INITIALIZER)) {
    const [name] = sub(tensor, TENSOR_NAME);
    if (name !== undefined) initializers.set(text(name), ints(tensor, TENSOR_DIMS));
  }
  // Graph inputs that are initializers too (older exporters list weights as inputs) are not inputs.
  const inputs = sub(graph, GRAPH_INPUT).filter((input) => {
    const [name] = sub(input, 1);
    return name !== undefined && !initializers.has(text(name));
  });
  const first = inputs[0];
  if (first === undefined) throw new OnnxGraphError('the ONNX graph has no input');
  let macs = 0;
  const uncounted = new Set<string>();
  const operators = new Set<string>();
  for (const node of sub(graph, GRAPH_NODE)) {
    const [op] = sub(node, NODE_OP_TYPE);
    const opType = op === undefined ? '?' : text(op);
    operators.add(opType);
    if (!MULTIPLYING.has(opType)) continue;
    const weight =
      opType === 'Gemm' ? initializers.get(text(sub(node, NODE_INPUT)[1] ?? new Uint8Array())) : undefined;
    if (weight !== undefined && weight.length === 2) macs += (weight[0] ?? 0) * (weight[1] ?? 0);
    else uncounted.add(opType);
  }
  let params = 0;
  for (const dims of initializers.values()) params += dims.reduce((a, b) => a * b, 1);
  return {
    inputName: text(sub(first, 1)[0] ?? new Uint8Array()),
    inputShape: inputShapeOf(first),
    params,
    macs,
    uncounted: [...uncounted].sort(),
    operators: [...operators].sort(),
  };
}

/** ValueInfoProto.type (2) → TypeProto.tensor_type (1) → shape (2) → dim (1) → dim_value (1). */
function inputShapeOf(valueInfo: Uint8Array): number[] | undefined {
  const [type] = sub(valueInfo, 2);
  const [tensor] = type === undefined ? [] : sub(type, 1);
  const [shape] = tensor === undefined ? [] : sub(tensor, 2);
  if (shape === undefined) return undefined;
  const dims = sub(shape, 1).map((dim) => {
    const value = [...fields(dim)].find((f) => f.field === 1 && typeof f.value === 'bigint');
    return value === undefined ? undefined : Number(value.value);
  });
  const rest = dims.slice(1);
  return rest.every((d): d is number => d !== undefined && d > 0) ? rest : undefined;
}
