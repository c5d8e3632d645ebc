import type { SavedLayer, SavedWeight } from './artifacts';
import type { OnnxGraph, Value } from './onnx-graph';

// One emitter a Keras layer class: it adds the layer's ONNX nodes and says what comes out. Inside the
// graph images are NCHW (ONNX's convolutions take no other), so kernels are transposed here and a
// flatten puts the pixels back in Keras' NHWC order before the dense layers that were trained on it.

export class UnsupportedLayerError extends Error {
  override name = 'UnsupportedLayerError';
}

type Emitter = (g: OnnxGraph, layer: SavedLayer, inputs: Value[]) => Value;

const pair = (v: unknown, what: string, layer: SavedLayer): [number, number] => {
  const value = Array.isArray(v) ? v : [v, v];
  if (value.length !== 2 || !value.every((n) => Number.isInteger(n))) throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) has a ${what} of ${JSON.stringify(v)}`);
  return value as [number, number];
};

function weight(layer: SavedLayer, short: string): SavedWeight {
  const found = layer.weights.get(short);
  if (!found) throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) has no weight ${short} (it has ${[...layer.weights.keys()].join(', ') || 'none'})`);
  return found;
}

function one(layer: SavedLayer, inputs: Value[], layout?: Value['layout']): Value {
  if (inputs.length !== 1) throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) takes ${inputs.length} inputs; one was expected`);
  const input = inputs[0]!;
  if (layout && input.layout !== layout) {
    throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) on ${input.layout === 'flat' ? 'flat vectors' : 'images'} is not supported by the ONNX export`);
  }
  return input;
}

/** Padding and output size along one axis, as TensorFlow computes them ('same' puts the odd pixel at the end). */
function window(size: number, kernel: number, stride: number, dilation: number, padding: string): { before: number; after: number; out: number } {
  const span = (kernel - 1) * dilation + 1;
  if (padding === 'valid') return { before: 0, after: 0, out: Math.floor((size - span) / stride) + 1 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + span - size, 0);
  return { before: Math.floor(total / 2), after: total - Math.floor(total / 2), out };
}

/** kernel_shape, strides, dilations and pads of a 2-D window, and the output's height and width. */
function spatial(layer: SavedLayer, input: Value, kernel: [number, number], strides: [number, number], dilations: [number, number]) {
  const padding = String(layer.config['padding'] ?? 'valid');
  if (padding !== 'same' && padding !== 'valid') throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) has padding '${padding}'`);
  if ((layer.config['data_format'] ?? 'channels_last') !== 'channels_last') throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) is channels_first`);
  const [h, w] = [window(input.shape[1]!, kernel[0], strides[0], dilations[0], padding), window(input.shape[2]!, kernel[1], strides[1], dilations[1], padding)];
  return { attributes: { kernel_shape: kernel, strides, pads: [h.before, w.before, h.after, w.after] }, out: [h.out, w.out] as const };
}

/** The Keras activation `name` on `x`. */
export function activation(g: OnnxGraph, x: Value, name: unknown, layer: SavedLayer): Value {
  const to = (op: string, attributes = {}): Value => ({ ...x, name: g.node(op, [x.name], `${layer.name}_${op.toLowerCase()}`, attributes) });
  switch (name ?? 'linear') {
    case 'linear':
      return x;
    case 'relu':
      return to('Relu');
    case 'relu6':
      return { ...x, name: g.node('Clip', [x.name, g.scalar(0), g.scalar(6)], `${layer.name}_relu6`) };
    case 'sigmoid':
      return to('Sigmoid');
    case 'tanh':
      return to('Tanh');
    case 'elu':
      return to('Elu', { alpha: { f: 1 } });
    case 'selu':
      return to('Selu');
    case 'softplus':
      return to('Softplus');
    case 'softmax':
      return to('Softmax', { axis: x.layout === 'flat' ? -1 : 1 });
    case 'hard_sigmoid':
      return to('HardSigmoid', { alpha: { f: 0.2 }, beta: { f: 0.5 } });
    default:
      throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) has the activation '${String(name)}', which the ONNX export does not support`);
  }
}

/** Keras' HWIO kernel [kh, kw, in, out] as ONNX's OIHW [out, in, kh, kw]. */
function oihw(kernel: SavedWeight): Float32Array {
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  const out = new Float32Array(kernel.data.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    out[((o * cin + i) * kh + y) * kw + x] = kernel.data[((y * kw + x) * cin + i) * cout + o]!;
  }
  return out;
}

function convolution(g: OnnxGraph, layer: SavedLayer, input: Value, kernel: Float32Array, dims: number[], group: number): Value {
  const size = pair(layer.config['kernel_size'], 'kernel_size', layer);
  const { attributes, out } = spatial(layer, input, size, pair(layer.config['strides'] ?? 1, 'stride', layer), pair(layer.config['dilation_rate'] ?? 1, 'dilation', layer));
  const inputs = [input.name, g.float(`${layer.name}_W`, dims, kernel)];
  if (layer.config['use_bias'] !== false) inputs.push(g.float(`${layer.name}_B`, [dims[0]!], weight(layer, 'bias').data));
  const conv: Value = { name: g.node('Conv', inputs, layer.name, { ...attributes, dilations: pair(layer.config['dilation_rate'] ?? 1, 'dilation', layer), group }), layout: 'nchw', shape: [dims[0]!, ...out] };
  return activation(g, conv, layer.config['activation'], layer);
}

function conv2d(g: OnnxGraph, layer: SavedLayer, inputs: Value[]): Value {
  const input = one(layer, inputs, 'nchw');
  const kernel = weight(layer, 'kernel');
  const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
  return convolution(g, layer, input, oihw(kernel), [cout, cin, kh, kw], 1);
}

function depthwiseConv2d(g: OnnxGraph, layer: SavedLayer, inputs: Value[]): Value {
  const input = one(layer, inputs, 'nchw');
  const kernel = weight(layer, 'depthwise_kernel');
  const [kh, kw, cin, mult] = kernel.shape as [number, number, number, number];
  const out = new Float32Array(kernel.data.length); // [cin * mult, 1, kh, kw]: output channel c * mult + m
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < cin; c++) for (let m = 0; m < mult; m++) {
    out[((c * mult + m) * kh + y) * kw + x] = kernel.data[((y * kw + x) * cin + c) * mult + m]!;
  }
  return convolution(g, layer, input, out, [cin * mult, 1, kh, kw], cin);
}

function pooling(op: 'MaxPool' | 'AveragePool'): Emitter {
  return (g, layer, inputs) => {
    const input = one(layer, inputs, 'nchw');
    const size = pair(layer.config['pool_size'] ?? 2, 'pool_size', layer);
    const { attributes, out } = spatial(layer, input, size, pair(layer.config['strides'] ?? size, 'stride', layer), [1, 1]);
    // TensorFlow averages over the pixels inside the image only: count_include_pad 0, ONNX's default.
    return { name: g.node(op, [input.name], layer.name, attributes), layout: 'nchw', shape: [input.shape[0]!, ...out] };
  };
}

function globalPooling(op: 'GlobalAveragePool' | 'GlobalMaxPool'): Emitter {
  return (g, layer, inputs) => {
    const input = one(layer, [channelsLast(layer, inputs)], 'nchw');
    const pooled = g.node(op, [input.name], `${layer.name}_pool`);
    return { name: g.node('Flatten', [pooled], layer.name, { axis: 1 }), layout: 'flat', shape: [input.shape[0]!] };
  };
}

/** Images back to Keras' NHWC order, then one row an image: what the dense layers after it were trained on. */
export function flatten(g: OnnxGraph, input: Value, hint: string): Value {
  if (input.layout === 'flat') return input;
  const nhwc = g.node('Transpose', [input.name], `${hint}_nhwc`, { perm: [0, 2, 3, 1] });
  return { name: g.node('Flatten', [nhwc], hint, { axis: 1 }), layout: 'flat', shape: [input.shape.reduce((a, b) => a * b, 1)] };
}

function dense(g: OnnxGraph, layer: SavedLayer, inputs: Value[]): Value {
  const input = one(layer, inputs, 'flat');
  const kernel = weight(layer, 'kernel');
  const units = kernel.shape[1]!;
  const operands = [input.name, g.float(`${layer.name}_W`, kernel.shape, kernel.data)];
  if (layer.config['use_bias'] !== false) operands.push(g.float(`${layer.name}_B`, [units], weight(layer, 'bias').data));
  return activation(g, { name: g.node('Gemm', operands, layer.name), layout: 'flat', shape: [units] }, layer.config['activation'], layer);
}

function batchNorm(g: OnnxGraph, layer: SavedLayer, inputs: Value[]): Value {
  const input = channelAxis(layer, one(layer, inputs));
  const channels = input.shape[0]!;
  const constant = (hint: string, short: string, fill: number): string =>
    g.float(`${layer.name}_${hint}`, [channels], layer.weights.get(short)?.data ?? new Float32Array(channels).fill(fill));
  const operands = [input.name, constant('scale', 'gamma', 1), constant('bias', 'beta', 0), constant('mean', 'moving_mean', 0), constant('var', 'moving_variance', 1)];
  weight(layer, 'moving_mean');
  return { ...input, name: g.node('BatchNormalization', operands, layer.name, { epsilon: { f: Number(layer.config['epsilon'] ?? 1e-3) } }) };
}

function zeroPadding(g: OnnxGraph, layer: SavedLayer, inputs: Value[]): Value {
  const input = one(layer, [channelsLast(layer, inputs)], 'nchw');
  const raw = layer.config['padding'] ?? 1;
  const [[top, bottom], [left, right]] = (Array.isArray(raw) && Array.isArray(raw[0]) ? raw : pair(raw, 'padding', layer).map((p) => [p, p])) as [[number, number], [number, number]];
  const pads = g.int64(`${layer.name}_pads`, [0, 0, top, left, 0, 0, bottom, right]);
  return { name: g.node('Pad', [input.name, pads], layer.name), layout: 'nchw', shape: [input.shape[0]!, input.shape[1]! + top + bottom, input.shape[2]! + left + right] };
}

function merge(op: 'Add' | 'Mul'): Emitter {
  return (g, layer, inputs) => {
    if (inputs.length < 2 || inputs.some((v) => v.layout !== inputs[0]!.layout)) throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) needs 2 or more inputs of one kind`);
    let name = inputs[0]!.name;
    for (const next of inputs.slice(1)) name = g.node(op, [name, next.name], layer.name);
    return { ...inputs[0]!, name };
  };
}

function concatenate(g: OnnxGraph, layer: SavedLayer, inputs: Value[]): Value {
  const first = channelAxis(layer, inputs[0]!);
  if (inputs.some((v) => v.layout !== first.layout)) throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) joins images with vectors`);
  const channels = inputs.reduce((n, v) => n + v.shape[0]!, 0);
  return { name: g.node('Concat', inputs.map((v) => v.name), layer.name, { axis: 1 }), layout: first.layout, shape: [channels, ...first.shape.slice(1)] };
}

function reshape(g: OnnxGraph, layer: SavedLayer, inputs: Value[]): Value {
  const input = one(layer, inputs);
  const target = layer.config['target_shape'] as number[];
  if (target.length !== 1 && target.length !== 3) throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) reshapes to ${target.length} axes; 1 or 3 are supported`);
  if (!target.every((n) => Number.isInteger(n) && n > 0)) throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) reshapes to [${target.join(', ')}]; give every size`);
  const source = input.layout === 'nchw' ? g.node('Transpose', [input.name], `${layer.name}_nhwc`, { perm: [0, 2, 3, 1] }) : input.name;
  const shaped = g.node('Reshape', [source, g.int64(`${layer.name}_shape`, [0, ...target])], target.length === 1 ? layer.name : `${layer.name}_nhwc_out`);
  if (target.length === 1) return { name: shaped, layout: 'flat', shape: target };
  const [h, w, c] = target as [number, number, number];
  return { name: g.node('Transpose', [shaped], layer.name, { perm: [0, 3, 1, 2] }), layout: 'nchw', shape: [c, h, w] };
}

function leakyRelu(g: OnnxGraph, layer: SavedLayer, inputs: Value[]): Value {
  const input = one(layer, inputs);
  return { ...input, name: g.node('LeakyRelu', [input.name], layer.name, { alpha: { f: Number(layer.config['alpha'] ?? 0.3) } }) };
}

function relu(g: OnnxGraph, layer: SavedLayer, inputs: Value[]): Value {
  const input = one(layer, inputs);
  for (const option of ['negative_slope', 'threshold']) {
    if (Number(layer.config[option] ?? 0) !== 0) throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) has ${option} ${String(layer.config[option])}; only 0 is supported`);
  }
  const max = layer.config['max_value'];
  if (max === null || max === undefined) return activation(g, input, 'relu', layer);
  return { ...input, name: g.node('Clip', [input.name, g.scalar(0), g.scalar(Number(max))], layer.name) };
}

const identity: Emitter = (_g, layer, inputs) => one(layer, inputs);

/** `input`, after checking that the layer works along the channel axis (-1, or 3 on images, 1 on vectors). */
function channelAxis(layer: SavedLayer, input: Value): Value {
  const axis = Number(layer.config['axis'] ?? -1);
  if (axis !== -1 && axis !== (input.layout === 'flat' ? 1 : 3)) throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) works along axis ${axis}; only the channel axis is supported`);
  return input;
}

/** Refuses channels_first, which the emitters do not translate. */
function channelsLast(layer: SavedLayer, inputs: Value[]): Value {
  if ((layer.config['data_format'] ?? 'channels_last') !== 'channels_last') throw new UnsupportedLayerError(`layer ${layer.name} (${layer.className}) is channels_first`);
  return one(layer, inputs);
}

/** Every Keras class the export takes; StreamDropout is ours (dropout with a resumable stream). */
export const ONNX_EMITTERS: Record<string, Emitter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  Dense: dense,
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AveragePool'),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPool'),
  Flatten: (g, layer, inputs) => flatten(g, channelsLast(layer, inputs), layer.name),
  BatchNormalization: batchNorm,
  Activation: (g, layer, inputs) => activation(g, one(layer, inputs), layer.config['activation'], layer),
  ReLU: relu,
  LeakyReLU: leakyRelu,
  Softmax: (g, layer, inputs) => activation(g, channelAxis(layer, one(layer, inputs)), 'softmax', layer),
  ZeroPadding2D: zeroPadding,
  Add: merge('Add'),
  Multiply: merge('Mul'),
  Concatenate: concatenate,
  Reshape: reshape,
  Dropout: identity,
  StreamDropout: identity,
  SpatialDropout2D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
};
