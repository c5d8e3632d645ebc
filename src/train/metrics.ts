import { DatasetError } from '../errors';
import type { ClassificationReport, ClassMetrics } from '../protocol';

/** confusion[true][predicted]. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number): number[][] {
  // A mismatch is a bug of ours; a named error, because recovery retries a plain Error or RangeError as a backend fault.
  if (truth.length !== predicted.length) throw new DatasetError(`${truth.length} labels but ${predicted.length} predictions`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]!]![predicted[i]!]! += 1;
  return m;
}

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/** Per-class precision, recall, f1 and support, with sklearn's averages (0 where undefined). */
export function classificationReport(confusion: number[][], classNames: string[]): ClassificationReport {
  const n = classNames.length;
  const classes: ClassMetrics[] = classNames.map((className, c) => {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c]!, 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return { className, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
  const total = classes.reduce((a, m) => a + m.support, 0);
  const correct = classNames.reduce((a, _, c) => a + confusion[c]![c]!, 0);
  const average = (weight: (m: ClassMetrics) => number, den: number): Omit<ClassMetrics, 'className'> => ({
    precision: ratio(classes.reduce((a, m) => a + weight(m) * m.precision, 0), den),
    recall: ratio(classes.reduce((a, m) => a + weight(m) * m.recall, 0), den),
    f1: ratio(classes.reduce((a, m) => a + weight(m) * m.f1, 0), den),
    support: total,
  });
  return {
    classes,
    accuracy: ratio(correct, total),
    macro: average(() => 1, n),
    weighted: average((m) => m.support, total),
    total,
  };
}

/** The report exactly as sklearn's classification_report prints it (two decimals), class names included. */
export function formatReport(report: ClassificationReport): string {
  const width = Math.max('weighted avg'.length, ...report.classes.map((c) => c.className.length));
  const line = (name: string, cells: string[]): string => `${name.padStart(width)} ${cells.map((c) => ` ${c.padStart(9)}`).join('')}`;
  const row = (name: string, m: Omit<ClassMetrics, 'className'>): string =>
    line(name, [m.precision.toFixed(2), m.recall.toFixed(2), m.f1.toFixed(2), String(m.support)]);
  return [
    line('', ['precision', 'recall', 'f1-score', 'support']),
    '',
    ...report.classes.map((m) => row(m.className, m)),
    '',
    line('accuracy', ['', '', report.accuracy.toFixed(2), String(report.total)]),
    row('macro avg', report.macro),
    row('weighted avg', report.weighted),
  ].join('\n');
}

/** The confusion matrix with class names on both axes (rows: true class, columns: predicted). */
export function formatConfusion(confusion: number[][], classNames: string[]): string {
  const corner = 'true \\ predicted';
  const width = Math.max(corner.length, ...classNames.map((s) => s.length));
  const cell = Math.max(5, ...classNames.map((c) => c.length + 1), ...confusion.flat().map((v) => String(v).length + 1));
  const head = `${corner.padEnd(width)} ${classNames.map((c) => c.padStart(cell)).join('')}`;
  const rows = confusion.map((r, i) => `${classNames[i]!.padEnd(width)} ${r.map((v) => String(v).padStart(cell)).join('')}`);
  return [head, ...rows].join('\n');
}
