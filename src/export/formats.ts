import { ConfigError } from '../errors';
import type { ExportedModel } from '../protocol';
import type { ExportFile, Exporter } from './format';
import { KERAS_H5_EXPORTER } from './keras-h5-exporter';
import { LABELS_EXPORTER } from './labels-exporter';
import { ONNX_EXPORTER } from './onnx-exporter';
import { TFJS_EXPORTER, tfjsFromFiles } from './tfjs-exporter';

// The formats a trained model leaves in, one file each (format.ts says what a format is). TF.js is what
// training writes; the others are made from its saved files, in the worker for the element and in Node
// for the command line. Adding a format is adding its file and its line here.

export const EXPORTERS = [TFJS_EXPORTER, ONNX_EXPORTER, KERAS_H5_EXPORTER, LABELS_EXPORTER] as const;
export type FormatName = (typeof EXPORTERS)[number]['name'];
export const EXPORT_FORMATS: readonly FormatName[] = EXPORTERS.map((e) => e.name);

/** The format the others are made from, which every run writes. */
export const SOURCE_FORMAT: Exporter<FormatName> = TFJS_EXPORTER;
/** The source format's export back from its files. */
export const sourceFromFiles: (files: readonly ExportFile[]) => ExportedModel = tfjsFromFiles;

/** What the command line's log says of each format's file. */
export const EXPORT_LABEL = Object.fromEntries(EXPORTERS.map((e) => [e.name, e.label])) as Record<FormatName, string>;

/** The format of that name. */
export function exporterOf(name: FormatName): Exporter<FormatName> {
  const exporter = EXPORTERS.find((e) => e.name === name);
  if (!exporter) throw new ConfigError(`no export format ${JSON.stringify(name)}; the formats are ${EXPORT_FORMATS.join(', ')}`);
  return exporter;
}

/** 'tfjs,onnx' as formats, each once, in the registry's order, tfjs always among them (it is what the others are made from). */
export function parseExportFormats(text: string, option = '--export'): FormatName[] {
  const asked = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = asked.filter((f) => !(EXPORT_FORMATS as readonly string[]).includes(f));
  if (unknown.length || !asked.length) {
    throw new ConfigError(`${option} takes a comma-separated list of ${EXPORT_FORMATS.join(', ')}; got '${text}'`);
  }
  return EXPORTERS.filter((e) => e.source || asked.includes(e.name)).map((e) => e.name);
}
