import type { HeadKind } from './config';

// What training reports: layers, epochs, searches, stages and predictions.

export interface LayerInfo {
  index: number;
  name: string;
  className: string;
  outputShape: (number | null)[];
  params: number;
  trainable: boolean;
}

export interface ClassMetrics {
  className: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  classes: ClassMetrics[];
  accuracy: number;
  macro: Omit<ClassMetrics, 'className'>;
  weighted: Omit<ClassMetrics, 'className'>;
  total: number;
}

export interface EpochMetrics {
  stage: 1 | 2;
  epoch: number;
  epochs: number;
  seconds: number;
  loss: number;
  acc: number;
  valLoss: number | null;
  valAcc: number | null;
  /** tf.memory().numTensors at the end of the epoch; constant from the second epoch of a stage on. */
  numTensors: number;
  /** Bytes those tensors hold. */
  tensorBytes: number;
  /** Decoded images and stored layer outputs the worker holds in memory (0 when images stream from their files). */
  dataBytes: number;
}

/** One learning rate (and head kind) a stage's search tried, and how it scored. */
export interface SearchTrial {
  learningRate: number;
  head: HeadKind;
  /** The best validation score over its epochs (null without validation images: the training loss decides). */
  valAcc: number | null;
  valLoss: number | null;
  /** Mean training loss of its last epoch (null: it diverged within its first). */
  loss: number | null;
  /** Its loss went non-finite or stayed far above ln(classes). */
  diverged: boolean;
}

/** A stage's search: candidates trained a few epochs each from the stage's start, scored on the validation images. */
export interface RateSearch {
  trials: SearchTrial[];
  epochs: number;
  trainImages: number;
  validationImages: number;
  seconds: number;
}

/** What a stage trains with: its rate (given, or found by its search) and head, and its restarts after divergence. */
export interface StageSettings {
  learningRate: number;
  head: HeadKind;
  /** Restarts from the stage's start at a tenth of the rate, after the loss diverged. */
  restarts: number;
  /** null when nothing was searched (a pinned rate and head). */
  search: RateSearch | null;
}

/** An epoch's score on the validation images; epoch 0 is the model a stage started from. */
export interface EpochScore {
  epoch: number;
  valAcc: number;
  valLoss: number;
}

export interface StageResult {
  stage: 1 | 2;
  history: EpochMetrics[];
  settings: StageSettings;
  /**
   * The epoch whose weights the stage kept: the best on the validation images (stage 2's epoch 0 is stage
   * 1's model, kept when no epoch beat it). null without validation images: the last epoch's are kept.
   */
  best: EpochScore | null;
  /** The epoch after which it stopped early, for want of a better validation score (null: it ran every epoch). */
  stoppedEarly: number | null;
  /** Stage 2's best epoch when stage 1's model was kept instead: lower, but not beyond the noise. */
  rejected?: EpochScore | null;
  /** null when nothing was held out (testFraction 0). */
  report: ClassificationReport | null;
  /** confusion[true][predicted] */
  confusion: number[][] | null;
  /** Held-out images the model got wrong (class indices), for a gallery. */
  misclassified: { path: string; truth: number; predicted: number }[];
  trainableFrom: number;
}

/** The classes a model gives an image, most likely first. */
export interface Prediction {
  name: string;
  top: { className: string; probability: number }[];
  error: string | null;
}
