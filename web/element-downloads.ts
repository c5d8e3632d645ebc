import { downloadOf, type ExportFormat } from '../src/export/downloads';
import { reportsCsv, runReport } from '../src/run/report';
import type { TrainingController } from './training-controller';

// What the element's download buttons save, and under which names: the model in a format, the report
// as JSON (the same document as the command line's report.json) or CSV.

/** Saves `blob` as `name` through a temporary link. */
export function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A project name as a file name: 'Flowers test' -> 'flowers-test' (letters, digits, - and _ only). */
export function fileStem(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

/** The model's file name in a format: the project's name and the format's suffix (Keras reads `.h5`, not `.weights.h5`, as save_weights' layout). */
export function modelFileName(projectName: string | undefined, format: ExportFormat): string {
  return `${fileStem(projectName ?? 'model')}${downloadOf(format).suffix}`;
}

/** The run's report as a file: its name and content. */
export function reportFile(c: TrainingController, format: 'json' | 'csv'): { name: string; blob: Blob } {
  const name = `${fileStem(c.project?.name ?? 'model')}-report.${format}`;
  if (format === 'csv') return { name, blob: new Blob([reportsCsv(c.stages)], { type: 'text/csv' }) };
  const run = { ...c.prepared, classes: c.project?.classes ?? c.prepared?.classes ?? [], stages: c.stages };
  return { name, blob: new Blob([JSON.stringify(runReport(run, c.project?.name ?? null, c.progress.finishedIn), null, 2)], { type: 'application/json' }) };
}
