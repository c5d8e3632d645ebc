import type { FormatName } from './formats';

// What the element offers to download, a button each, in this order. A list of its own, by the
// registry's names: the element's page imports it, and must not import the exporters (formats.ts),
// whose converters (onnx-proto, h5wasm) belong in the worker's bundle only.

export interface DownloadOffer {
  format: FormatName;
  /** The button's text, and its tooltip. */
  button: string;
  title: string;
  /** After the project's name in the downloaded file's name. */
  suffix: string;
  /** The first, plain button; the others are secondary. */
  primary?: true;
}

export const DOWNLOADS = [
  { format: 'tfjs', button: 'Download model (.zip)', title: 'model.json and weights.bin, for tf.loadLayersModel', suffix: '-tfjs.zip', primary: true },
  { format: 'onnx', button: 'ONNX (.onnx)', title: 'ONNX opset 17: RGB pixels 0-255 in, class probabilities out', suffix: '.onnx' },
  // Keras reads a name ending in .h5 (not .weights.h5) as save_weights' layout.
  { format: 'keras-h5', button: 'Keras (.h5)', title: 'Keras weights, for model.load_weights', suffix: '-keras.h5' },
] as const satisfies readonly DownloadOffer[];

/** A format the element exports. */
export type ExportFormat = (typeof DOWNLOADS)[number]['format'];
export const DOWNLOAD_FORMATS: readonly ExportFormat[] = DOWNLOADS.map((d) => d.format);

export function downloadOf(format: ExportFormat): DownloadOffer {
  return DOWNLOADS.find((d) => d.format === format)!;
}
