import { onnx, type OnnxProto } from './onnx-proto';

// A small builder of one ONNX graph: nodes in order, float and int64 constants as initializers, and
// fresh tensor names. It knows nothing of Keras; the layer emitters (onnx-layers.ts) use it.

/** An int, ints, a string, or a float as { f } (a whole-number float must not become an INT). */
type Attribute = number | number[] | string | { f: number };

/** Where a tensor stands: images in NCHW (shape [C, H, W]) or flat vectors (shape [C]); no batch axis. */
export interface Value {
  name: string;
  layout: 'nchw' | 'flat';
  shape: number[];
}

export class OnnxGraph {
  readonly nodes: OnnxProto.INodeProto[] = [];
  readonly initializers: OnnxProto.ITensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly scalars = new Map<number, string>();

  /** A tensor name not used yet, from `hint`. */
  fresh(hint: string): string {
    let name = hint;
    for (let n = 1; this.used.has(name); n++) name = `${hint}_${n}`;
    this.used.add(name);
    return name;
  }

  /** Adds a node and returns the name of its (first) output. */
  node(opType: string, inputs: string[], hint: string, attributes: Record<string, Attribute> = {}): string {
    const output = this.fresh(hint);
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)) });
    return output;
  }

  float(hint: string, dims: number[], data: Float32Array | number[]): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: rawBytes(Float32Array.from(data)) });
    return name;
  }

  /** A float scalar, one initializer for each value however many nodes take it (every ReLU6 takes 0 and 6). */
  scalar(value: number): string {
    let name = this.scalars.get(value);
    if (name === undefined) this.scalars.set(value, (name = this.float(`const_${String(value).replace(/[^\w]/g, '_')}`, [], [value])));
    return name;
  }

  int64(hint: string, values: number[]): string {
    const name = this.fresh(hint);
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, rawData: rawBytes(BigInt64Array.from(values, BigInt)) });
    return name;
  }
}

/** Little-endian bytes, as ONNX's raw_data holds them (every platform we run on is little-endian). */
function rawBytes(values: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function attribute(name: string, value: Attribute): OnnxProto.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'object') return { name, type: AttributeType.FLOAT, f: value.f };
  return { name, type: AttributeType.INT, i: value };
}
