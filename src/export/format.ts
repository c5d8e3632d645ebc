import type { ExportedModel } from '../protocol';
import { readSavedModel, type SavedModel } from './artifacts';

// What an export format is: its name on the command line, its log line, the files it makes and how it
// makes them from the TF.js export. Each format is a file of its own beside this one; formats.ts lists them.

/** One file of an export, as it is named in the output folder or the download. */
export interface ExportFile {
  name: string;
  bytes: ArrayBuffer;
}

/** Where a format's files are made: in the page's worker, or in Node by the command line from the TF.js files it wrote. */
export type ExportPlace = 'worker' | 'node';

/** What every format is made from: the TF.js export, and the same read back into layers (on first use, once). */
export interface ExportSource {
  readonly exported: ExportedModel;
  saved(): SavedModel;
}

export interface Exporter<Name extends string = string> {
  /** The word `--export` takes. */
  readonly name: Name;
  /** What the command line's log says of the written file. */
  readonly label: string;
  /** The files it makes, by name. */
  readonly files: readonly string[];
  readonly places: readonly ExportPlace[];
  /** The TF.js model itself: every run writes it, and the other formats are made from it. */
  readonly source?: true;
  /** Its files; a format that cannot take the model throws, saying why. */
  make(source: ExportSource): Promise<ExportFile[]>;
}

/** The export as a source; readSavedModel runs when a format first asks for the layers. */
export function exportSource(exported: ExportedModel): ExportSource {
  let saved: SavedModel | null = null;
  return { exported, saved: () => (saved ??= readSavedModel(exported.modelJson, exported.weights)) };
}

/** The bytes in an ArrayBuffer of their own, to transfer out of the worker. */
export function ownBuffer(view: Uint8Array): ArrayBuffer {
  return view.slice().buffer;
}
