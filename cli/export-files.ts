import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readSavedModel, type SavedModel } from '../src/export/artifacts';
import { EXPORT_FILES, EXPORT_FORMATS, type ExportFormat } from '../src/export/formats';
import { writeKerasFile, type H5File } from '../src/export/keras-h5';
import { toOnnx } from '../src/export/onnx';
import { writeAside, writeAtomically } from './atomic-write';

export type WrittenExport = { format: ExportFormat; file: string } & ({ bytes: number } | { error: string });

/**
 * Makes the formats other than TF.js from the TF.js model in `outDir` (model.json, weights.bin), each
 * file written aside and renamed into place. A format that cannot be made (an unsupported layer) says
 * why and leaves no file, half-written or whole; the others are still written. Files of an earlier
 * run's formats are removed first, asked for this time or not.
 */
export async function writeExports(outDir: string, formats: readonly ExportFormat[]): Promise<WrittenExport[]> {
  // An earlier run's exports (the folder was claimed with --overwrite) must not sit beside this model.
  await Promise.all(EXPORT_FORMATS.filter((f) => f !== 'tfjs').flatMap((f) => EXPORT_FILES[f].map((file) => rm(join(outDir, file), { force: true }))));
  const others = formats.filter((f) => f !== 'tfjs');
  if (!others.length) return [];
  const [json, weights] = await Promise.all([readFile(join(outDir, 'model.json'), 'utf8'), readFile(join(outDir, 'weights.bin'))]);
  const saved = readSavedModel(json, new Uint8Array(weights).buffer);
  const written: WrittenExport[] = [];
  for (const format of others) {
    const file = EXPORT_FILES[format][0]!;
    const path = join(outDir, file);
    try {
      await WRITERS[format](path, saved);
      written.push({ format, file, bytes: (await stat(path)).size });
    } catch (error) {
      written.push({ format, file, error: (error as Error).message });
    }
  }
  return written;
}

const WRITERS: Record<Exclude<ExportFormat, 'tfjs'>, (path: string, saved: SavedModel) => Promise<void>> = {
  onnx: (path, saved) => writeAtomically(path, toOnnx(saved)),
  'keras-h5': async (path, saved) => {
    const h5wasm = await import('h5wasm/node');
    await h5wasm.ready;
    await writeAside(path, (partial) => writeKerasFile((p) => new h5wasm.File(p, 'w') as unknown as H5File, partial, saved));
  },
};
