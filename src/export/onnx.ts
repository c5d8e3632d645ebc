import { onnx, type OnnxProto } from './onnx-proto';
import { CAFFE_MEAN_BGR } from '../data/preprocess';
import { isPreprocessing, type Preprocessing } from '../protocol';
import type { SavedModel } from './artifacts';
import { OnnxGraph, type Value } from './onnx-graph';
import { ONNX_EMITTERS, UnsupportedLayerError } from './onnx-layers';

export const ONNX_OPSET = 17;
export const ONNX_INPUT = 'pixels';
export const ONNX_OUTPUT = 'probabilities';

/**
 * The model as ONNX (opset 17): input `pixels`, NHWC float RGB 0..255 of the model's input size (resized
 * and centre-cropped as the metadata says), with the base's preprocessing inside the graph, so a user
 * feeds plain pixels; output `probabilities`, one row a image. The first layer the exporter cannot
 * write is an UnsupportedLayerError naming it, before anything is written.
 */
export function toOnnx(model: SavedModel): Uint8Array {
  const g = new OnnxGraph();
  const values = new Map<string, Value>();
  const first = model.layers[0];
  const shape = (first?.config['batch_input_shape'] ?? first?.config['batchInputShape']) as (number | null)[] | undefined;
  if (first?.className !== 'InputLayer' || !shape || shape.length !== 4 || shape[3] !== 3) {
    throw new UnsupportedLayerError('the model does not start with an image input (an InputLayer of shape [null, H, W, 3])');
  }
  // A base that takes any size (a TF.js model with [null, null, null, 3]) was trained at the metadata's inputSize.
  const trained = Number(model.metadata['inputSize']);
  const [height, width] = [shape[1] ?? trained, shape[2] ?? trained];
  if (!(height > 0 && width > 0)) throw new UnsupportedLayerError(`the model's input ${first.name} has no fixed size and its metadata no inputSize`);
  g.fresh(ONNX_INPUT);
  g.fresh(ONNX_OUTPUT);
  const preprocessing = model.metadata['preprocessing'];
  if (!isPreprocessing(preprocessing)) {
    throw new UnsupportedLayerError(`the model's metadata says preprocessing ${JSON.stringify(preprocessing)}; the ONNX export needs unit, tf or caffe to put it inside the graph`);
  }
  values.set(first.name, { name: preprocessed(g, preprocessing), layout: 'nchw', shape: [3, height, width] });
  for (const layer of model.layers.slice(1)) {
    const emit = ONNX_EMITTERS[layer.className];
    if (!emit) throw new UnsupportedLayerError(`layer ${layer.name} is a ${layer.className}, which the ONNX export does not support (supported: ${Object.keys(ONNX_EMITTERS).join(', ')})`);
    const inputs = layer.inputs.map((name) => values.get(name) ?? fail(`layer ${layer.name} takes ${name}, which comes later or not at all`));
    values.set(layer.name, emit(g, layer, inputs));
  }
  if (model.outputs.length !== 1) throw new UnsupportedLayerError(`the model has ${model.outputs.length} outputs; the ONNX export writes models with one`);
  const out = values.get(model.outputs[0]!)!;
  if (out.layout !== 'flat') throw new UnsupportedLayerError(`the model's output ${model.outputs[0]} is an image, not a vector of class probabilities`);
  g.nodes.push({ opType: 'Identity', input: [out.name], output: [ONNX_OUTPUT], name: ONNX_OUTPUT });
  const proto = onnx.ModelProto.create({
    irVersion: onnx.Version.IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'finetune-trainer',
    docString: 'Input: RGB pixels 0..255, NHWC, resized so the shorter side is the input size, then centre-cropped. Output: class probabilities, in the order of metadata "classes".',
    metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) })),
    graph: {
      name: 'finetune',
      node: g.nodes,
      initializer: g.initializers,
      input: [tensorInfo(ONNX_INPUT, ['N', height, width, 3])],
      output: [tensorInfo(ONNX_OUTPUT, ['N', out.shape[0]!])],
    },
  });
  return onnx.ModelProto.encode(proto).finish();
}

function fail(message: string): never {
  throw new UnsupportedLayerError(message);
}

/** What the base expects, from plain pixels, as the training pipeline computes it (data/preprocess.ts); then NCHW. */
function preprocessed(g: OnnxGraph, mode: Preprocessing): string {
  let x = ONNX_INPUT;
  if (mode === 'unit') x = g.node('Div', [x, g.scalar(255)], 'scaled');
  else if (mode === 'tf') x = g.node('Sub', [g.node('Div', [x, g.scalar(127.5)], 'halved'), g.scalar(1)], 'scaled');
  else {
    const bgr = g.node('Gather', [x, g.int64('bgr_order', [2, 1, 0])], 'bgr', { axis: 3 });
    x = g.node('Sub', [bgr, g.float('imagenet_mean_bgr', [3], [...CAFFE_MEAN_BGR])], 'centred');
  }
  return g.node('Transpose', [x], 'nchw', { perm: [0, 3, 1, 2] });
}

function tensorInfo(name: string, dims: (number | string)[]): OnnxProto.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}
