import { describe, expect, it } from 'vitest';
import { carveValidation, oneHot, splitStratified } from '../../src/data/split';
import { DatasetError } from '../../src/errors';

const labelsOf = (counts: number[]): number[] => counts.flatMap((n, c) => new Array<number>(n).fill(c));

describe('splitStratified', () => {
  const labels = labelsOf([40, 20, 8, 3]);

  it('keeps each class in proportion on both sides', () => {
    const { train, test } = splitStratified(labels, 4, 0.25, 42);
    const perClass = (indices: number[]): number[] => [0, 1, 2, 3].map((c) => indices.filter((i) => labels[i] === c).length);
    expect(perClass(test)).toEqual([10, 5, 2, 1]);
    expect(perClass(train)).toEqual([30, 15, 6, 2]);
  });

  it('covers every item exactly once', () => {
    const { train, test } = splitStratified(labels, 4, 0.25, 42);
    expect([...train, ...test].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
  });

  it('is reproducible for a seed and changes with it', () => {
    const a = splitStratified(labels, 4, 0.25, 42);
    expect(splitStratified(labels, 4, 0.25, 42)).toEqual(a);
    expect(splitStratified(labels, 4, 0.25, 7).test).not.toEqual(a.test);
  });

  it('keeps a class of one image in training and says it is untested', () => {
    const { train, test, untested } = splitStratified(labelsOf([4, 1]), 2, 0.25, 42);
    expect(untested).toEqual([1]);
    expect(train).toContain(4);
    expect(test).not.toContain(4);
  });

  it('holds nothing out with a fraction of 0', () => {
    const { train, test, untested } = splitStratified(labels, 4, 0, 42);
    expect(test).toEqual([]);
    expect(train).toHaveLength(labels.length);
    expect(untested).toEqual([]);
  });
});

describe('carveValidation', () => {
  const labels = labelsOf([40, 20, 8, 3]);

  it("moves a seeded share of each class's training images to validation, never the test images", () => {
    const split = splitStratified(labels, 4, 0.25, 42);
    const carved = carveValidation(split, labels, 0.2, 42);
    expect(carved.test).toEqual(split.test);
    expect([...carved.train, ...carved.validation].sort((a, b) => a - b)).toEqual(split.train);
    for (let c = 0; c < 4; c++) {
      const inTrain = split.train.filter((i) => labels[i] === c).length;
      expect(carved.validation.filter((i) => labels[i] === c)).toHaveLength(Math.round(inTrain * 0.2));
    }
    expect(carveValidation(split, labels, 0.2, 42)).toEqual(carved);
    expect(carveValidation(split, labels, 0.2, 7).validation).not.toEqual(carved.validation);
    expect(carveValidation(split, labels, 0, 42)).toEqual(split);
  });

  it('leaves at least one training image in every class', () => {
    const split = splitStratified(labelsOf([2, 3]), 2, 0, 42);
    const carved = carveValidation(split, labelsOf([2, 3]), 0.5, 42);
    expect(carved.train).toHaveLength(2); // one per class: round(1) of 2 and round(1.5) of 3 moved
    expect(carved.validation).toHaveLength(3);
  });
});

describe('oneHot', () => {
  it('encodes against the run-wide class count, even for a class absent from the batch', () => {
    expect(Array.from(oneHot([2, 0], 3))).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('rejects a label outside the class list', () => {
    expect(() => oneHot([3], 3)).toThrow(/label 3 is outside 0..2/);
    // A named error, not a RangeError: recovery would take that for a backend fault and retry it.
    expect(() => oneHot([3], 3)).toThrow(DatasetError);
  });
});
