import type { PrepareResult, StageResult } from '../protocol';

/**
 * The report a run leaves beside its model: one document, written by the command line (report.json) and
 * downloaded from the element (its "Report (JSON)"). What the run was planned with (PrepareResult: the
 * settings, base, backends, split sizes, layers) is there when the run is open; a reopened project's
 * report has its classes and stages.
 */
export type RunReport = {
  /** When it was written (ISO 8601). */
  createdAt: string;
  /** Wall time of the run that finished it, in seconds; null where it is not known (a reopened project). */
  seconds: number | null;
  /** What was trained: the dataset folder, or the project's name. */
  dataset: string | null;
  classes: string[];
  stages: StageResult[];
} & Partial<Omit<PrepareResult, 'classes'>>;

export function runReport(run: { classes: string[]; stages: StageResult[] } & Partial<PrepareResult>, dataset: string | null, seconds: number | null, now = new Date()): RunReport {
  return { createdAt: now.toISOString(), seconds, dataset, ...run };
}

/** The reports of a run as CSV: one row per stage and class, then each stage's averages. */
export function reportsCsv(stages: StageResult[]): string {
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = [['stage', 'class', 'precision', 'recall', 'f1', 'support'].join(',')];
  for (const { stage, report } of stages) {
    if (!report) continue;
    for (const c of report.classes) rows.push([stage, quote(c.className), c.precision, c.recall, c.f1, c.support].join(','));
    rows.push([stage, 'accuracy', '', '', report.accuracy, report.total].join(','));
    rows.push([stage, 'macro avg', report.macro.precision, report.macro.recall, report.macro.f1, report.total].join(','));
    rows.push([stage, 'weighted avg', report.weighted.precision, report.weighted.recall, report.weighted.f1, report.total].join(','));
  }
  return `${rows.join('\n')}\n`;
}
