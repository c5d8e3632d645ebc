import type { ExportedModel } from '../protocol';
import { readSavedModel } from './artifacts';
import { EXPORT_FILES, type ExportFormat } from './formats';
import { writeKerasFile, type H5File } from './keras-h5';
import { toOnnx } from './onnx';

export interface ExportedFile {
  fileName: string;
  bytes: ArrayBuffer;
}

let files = 0;

/** The TF.js export as another format, made in the worker: ONNX bytes, or an HDF5 file in h5wasm's memory. */
export async function convertExport(format: Exclude<ExportFormat, 'tfjs'>, exported: ExportedModel): Promise<ExportedFile> {
  const saved = readSavedModel(exported.modelJson, exported.weights);
  const fileName = EXPORT_FILES[format][0]!;
  if (format === 'onnx') return { fileName, bytes: copy(toOnnx(saved)) };
  const h5wasm = await import('h5wasm'); // 4 MB, loaded on first use
  const { FS } = await h5wasm.ready;
  const path = `/export-${++files}.h5`;
  try {
    writeKerasFile((p) => new h5wasm.File(p, 'w') as unknown as H5File, path, saved);
    return { fileName, bytes: copy(FS.readFile(path)) };
  } finally {
    if (FS.analyzePath(path).exists) FS.unlink(path);
  }
}

/** The bytes in an ArrayBuffer of their own, to transfer out of the worker. */
function copy(view: Uint8Array): ArrayBuffer {
  return view.slice().buffer;
}
