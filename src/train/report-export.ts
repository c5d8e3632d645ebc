import type { StageResult } from '../protocol';

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
