import { ownBuffer, type Exporter } from './format';

// The model as ONNX (onnx.ts, loaded on first use: --help and the registry's readers need no onnx-proto):
// raw RGB pixels in, class probabilities out.

export const ONNX_EXPORTER: Exporter<'onnx'> = {
  name: 'onnx',
  label: 'ONNX opset 17: RGB pixels 0-255 in, class probabilities out, preprocessing inside',
  files: ['model.onnx'],
  places: ['worker', 'node'],
  async make(source) {
    const saved = source.saved();
    const { toOnnx } = await import('./onnx');
    return [{ name: 'model.onnx', bytes: ownBuffer(toOnnx(saved)) }];
  },
};
