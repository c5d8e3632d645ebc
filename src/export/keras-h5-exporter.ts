import { ownBuffer, type Exporter } from './format';
import { writeKerasFile, type H5File } from './keras-h5';

// The weights in Keras' save_weights layout (keras-h5.ts), written by h5wasm into its in-memory file
// system and read back: the same in the worker and in Node.

const FILE = 'weights.h5';
let scratch = 0;

export const KERAS_H5_EXPORTER: Exporter<'keras-h5'> = {
  name: 'keras-h5',
  label: "Keras weights (model.load_weights on the same architecture; README, 'Use your model')",
  files: [FILE],
  places: ['worker', 'node'],
  async make(source) {
    const saved = source.saved();
    const h5wasm = await import('h5wasm'); // 4 MB, loaded on first use
    const { FS } = await h5wasm.ready;
    const path = `/export-${++scratch}.h5`;
    try {
      writeKerasFile((p) => new h5wasm.File(p, 'w') as unknown as H5File, path, saved);
      return [{ name: FILE, bytes: ownBuffer(FS.readFile(path)) }];
    } finally {
      if (FS.analyzePath(path).exists) FS.unlink(path);
    }
  },
};
