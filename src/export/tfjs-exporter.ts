import type { ExportedModel } from '../protocol';
import { ownBuffer, type ExportFile, type Exporter } from './format';

// The TF.js layers model as training exports it: model.json and its one weights file.

const MODEL_JSON = 'model.json';
/** The one weights file model.json's manifest names (model/export.ts writes it). */
export const WEIGHTS_FILE = 'weights.bin';

export const TFJS_EXPORTER: Exporter<'tfjs'> = {
  name: 'tfjs',
  label: 'TF.js layers model (tf.loadLayersModel)',
  files: [MODEL_JSON, WEIGHTS_FILE],
  // The command line gets these files from the page, which PUTs them into the output folder.
  places: ['worker'],
  source: true,
  async make({ exported }) {
    return [
      { name: MODEL_JSON, bytes: ownBuffer(new TextEncoder().encode(exported.modelJson)) },
      { name: exported.weightsFileName, bytes: exported.weights },
    ];
  },
};

/** The export back from its files (the command line reads them from the output folder). */
export function tfjsFromFiles(files: readonly ExportFile[]): ExportedModel {
  const bytes = (name: string): ArrayBuffer => files.find((f) => f.name === name)?.bytes ?? fail(name);
  return { modelJson: new TextDecoder().decode(bytes(MODEL_JSON)), weightsFileName: WEIGHTS_FILE, weights: bytes(WEIGHTS_FILE) };
}

function fail(name: string): never {
  throw new Error(`the TF.js export has no ${name}`);
}
