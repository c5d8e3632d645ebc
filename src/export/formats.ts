import { ConfigError } from '../errors';

// The formats a trained model leaves in. TF.js is what training writes; the others are made from its
// saved files (export/artifacts.ts), in the worker for the element and in Node for the command line.

export const EXPORT_FORMATS = ['tfjs', 'onnx', 'keras-h5'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Each format's files, as they are named in the output folder or the download. */
export const EXPORT_FILES: Record<ExportFormat, readonly string[]> = {
  tfjs: ['model.json', 'weights.bin'],
  onnx: ['model.onnx'],
  'keras-h5': ['weights.h5'],
};

export const EXPORT_LABEL: Record<ExportFormat, string> = {
  tfjs: 'TF.js layers model (tf.loadLayersModel)',
  onnx: 'ONNX opset 17: RGB pixels 0-255 in, class probabilities out, preprocessing inside',
  'keras-h5': "Keras weights (model.load_weights on the same architecture; README, 'Use your model')",
};

/** 'tfjs,onnx' as formats, each once, tfjs always among them (it is what the others are made from). */
export function parseExportFormats(text: string, option = '--export'): ExportFormat[] {
  const asked = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = asked.filter((f) => !(EXPORT_FORMATS as readonly string[]).includes(f));
  if (unknown.length || !asked.length) {
    throw new ConfigError(`${option} takes a comma-separated list of ${EXPORT_FORMATS.join(', ')}; got '${text}'`);
  }
  return EXPORT_FORMATS.filter((f) => f === 'tfjs' || asked.includes(f));
}
