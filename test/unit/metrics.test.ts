import { describe, expect, it } from 'vitest';
import { classificationReport, confusionMatrix, formatConfusion, formatReport } from '../../src/train/metrics';

// Worked by hand: truth [0,0,0,1,1,2], predicted [0,0,1,1,2,2].
const truth = [0, 0, 0, 1, 1, 2];
const predicted = [0, 0, 1, 1, 2, 2];
const names = ['a', 'b', 'c'];

describe('confusionMatrix', () => {
  it('counts rows by true class and columns by prediction', () => {
    expect(confusionMatrix(truth, predicted, 3)).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
  });

  it('rejects label and prediction lists of different lengths', () => {
    expect(() => confusionMatrix([0, 1], [0], 2)).toThrow(/2 labels but 1 predictions/);
  });
});

describe('classificationReport', () => {
  const report = classificationReport(confusionMatrix(truth, predicted, 3), names);

  it('gives per-class precision, recall, f1 and support', () => {
    const [a, b, c] = report.classes;
    expect(a).toMatchObject({ className: 'a', precision: 1, support: 3 });
    expect(a!.recall).toBeCloseTo(2 / 3, 12);
    expect(a!.f1).toBeCloseTo(0.8, 12);
    expect(b).toMatchObject({ className: 'b', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(c).toMatchObject({ className: 'c', precision: 0.5, recall: 1, support: 1 });
    expect(c!.f1).toBeCloseTo(2 / 3, 12);
  });

  it('gives accuracy and sklearn-style macro and weighted averages', () => {
    expect(report.accuracy).toBeCloseTo(4 / 6, 12);
    expect(report.macro.precision).toBeCloseTo(2 / 3, 12);
    expect(report.macro.recall).toBeCloseTo((2 / 3 + 0.5 + 1) / 3, 12);
    expect(report.macro.f1).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
    expect(report.weighted.precision).toBeCloseTo(4.5 / 6, 12);
    expect(report.weighted.recall).toBeCloseTo(4 / 6, 12);
    expect(report.weighted.f1).toBeCloseTo((2.4 + 1 + 2 / 3) / 6, 12);
    expect(report.total).toBe(6);
  });

  it('scores a class that is never predicted as 0, not NaN', () => {
    const r = classificationReport(confusionMatrix([0, 1], [0, 0], 2), ['x', 'y']);
    expect(r.classes[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 1 });
  });

  it('prints like sklearn.metrics.classification_report', () => {
    expect(formatReport(report)).toBe(
      [
        '              precision    recall  f1-score   support',
        '',
        '           a       1.00      0.67      0.80         3',
        '           b       0.50      0.50      0.50         2',
        '           c       0.50      1.00      0.67         1',
        '',
        '    accuracy                           0.67         6',
        '   macro avg       0.67      0.72      0.66         6',
        'weighted avg       0.75      0.67      0.68         6',
      ].join('\n'),
    );
  });

  it('prints the confusion matrix with full class names', () => {
    const text = formatConfusion(confusionMatrix(truth, predicted, 3), ['bluebell', 'daisy', 'rose']);
    const [head, first] = text.split('\n');
    expect(head).toMatch(/bluebell\s+daisy\s+rose$/);
    expect(first).toMatch(/^bluebell\s+2\s+1\s+0$/);
  });
});
