import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { exportSource, type Exporter } from '../src/export/format';
import { EXPORTERS, SOURCE_FORMAT, sourceFromFiles, type FormatName } from '../src/export/formats';
import { writeAtomically } from './atomic-write';

export type WrittenExport = { format: FormatName; file: string } & ({ bytes: number } | { error: string });

/** The formats the command line makes here in Node, from the TF.js files the page wrote. */
const MADE_HERE: readonly Exporter<FormatName>[] = EXPORTERS.filter((e) => e.places.includes('node'));

/**
 * Makes the formats other than TF.js from the TF.js model in `outDir` (model.json, weights.bin), each
 * file written aside and renamed into place. A format that cannot be made (an unsupported layer) says
 * why and leaves no file, half-written or whole; the others are still written. Files of an earlier
 * run's formats are removed first, asked for this time or not.
 */
export async function writeExports(outDir: string, formats: readonly FormatName[]): Promise<WrittenExport[]> {
  // An earlier run's exports (the folder was claimed with --overwrite) must not sit beside this model.
  await removeFiles(outDir, MADE_HERE);
  const asked = MADE_HERE.filter((e) => formats.includes(e.name));
  if (!asked.length) return [];
  const files = await Promise.all(SOURCE_FORMAT.files.map(async (name) => ({ name, bytes: new Uint8Array(await readFile(join(outDir, name))).buffer })));
  const source = exportSource(sourceFromFiles(files));
  source.saved(); // a model no format can read fails the run here, before any is written
  const written: WrittenExport[] = [];
  for (const exporter of asked) {
    const file = exporter.files[0]!;
    try {
      const made = await exporter.make(source);
      for (const f of made) await writeAtomically(join(outDir, f.name), new Uint8Array(f.bytes));
      written.push({ format: exporter.name, file, bytes: made.reduce((n, f) => n + f.bytes.byteLength, 0) });
    } catch (error) {
      await removeFiles(outDir, [exporter]);
      written.push({ format: exporter.name, file, error: (error as Error).message });
    }
  }
  return written;
}

function removeFiles(outDir: string, exporters: readonly Exporter[]): Promise<unknown> {
  return Promise.all(exporters.flatMap((e) => e.files.map((file) => rm(join(outDir, file), { force: true }))));
}
