import { DatasetError } from '../errors';
import { streamFor } from '../rng';

export interface Split {
  /** Indices into the labelled items, train, validation and test disjoint, each sorted ascending. */
  train: number[];
  /** Training images held out of training to validate each epoch (see carveValidation); never the test split. */
  validation: number[];
  test: number[];
  /** Classes that got no test image (a single image), so the report cannot cover them. */
  untested: number[];
}

/**
 * Stratified and seeded: each class keeps its share of the test set (round(n * fraction), at least one
 * image when the class has two or more, never all of them), so no class is missing from either side by
 * chance. The same labels, fraction and seed always give the same split.
 */
export function splitStratified(labels: readonly number[], numClasses: number, testFraction: number, seed: number): Split {
  const rng = streamFor(seed, 'split');
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  labels.forEach((label, index) => byClass[label]?.push(index));
  const train: number[] = [];
  const test: number[] = [];
  const untested: number[] = [];
  byClass.forEach((indices, label) => {
    rng.shuffle(indices);
    const n = indices.length;
    let nTest = testFraction > 0 ? Math.max(1, Math.round(n * testFraction)) : 0;
    nTest = Math.min(nTest, n - 1);
    if (nTest <= 0) {
      if (testFraction > 0 && n > 0) untested.push(label);
      nTest = 0;
    }
    test.push(...indices.slice(0, nTest));
    train.push(...indices.slice(nTest));
  });
  return { train: train.sort(ascending), validation: [], test: test.sort(ascending), untested };
}

const ascending = (a: number, b: number): number => a - b;

/**
 * Moves round(n * fraction) of each class's n training images (never all of them) into a validation
 * slice, seeded and stratified like the split itself. The test split is left as it is: it is only scored.
 */
export function carveValidation(split: Split, labels: readonly number[], fraction: number, seed: number): Split {
  if (fraction <= 0) return split;
  const rng = streamFor(seed, 'validation');
  const byClass = new Map<number, number[]>();
  for (const index of split.train) byClass.set(labels[index]!, [...(byClass.get(labels[index]!) ?? []), index]);
  const train: number[] = [];
  const validation: number[] = [];
  for (const label of [...byClass.keys()].sort(ascending)) {
    const indices = rng.shuffle(byClass.get(label)!);
    const n = Math.min(Math.round(indices.length * fraction), indices.length - 1);
    validation.push(...indices.slice(0, n));
    train.push(...indices.slice(n));
  }
  return { ...split, train: train.sort(ascending), validation: validation.sort(ascending) };
}

/** A run's split: the stratified test split, then the validation slice carved from its training images. */
export function splitForRun(labels: readonly number[], numClasses: number, config: { testFraction: number; validationFraction: number; seed: number }): Split {
  return carveValidation(splitStratified(labels, numClasses, config.testFraction, config.seed), labels, config.validationFraction, config.seed);
}

/** One-hot rows for labels, all encoded against the one class list of the run. */
export function oneHot(labels: readonly number[], numClasses: number): Float32Array {
  const out = new Float32Array(labels.length * numClasses);
  labels.forEach((label, row) => {
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new DatasetError(`label ${label} is outside 0..${numClasses - 1}`);
    }
    out[row * numClasses + label] = 1;
  });
  return out;
}
