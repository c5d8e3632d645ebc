import { SEARCH_EPOCHS } from './rate-search';

// How long a run will take, before it starts: the costs of its unit steps, measured by a short probe on
// the chosen backend (src/train/probe-costs.ts), times how often the recipe takes each step. Every epoch
// is counted, so a stage that stops early (patience) finishes sooner than this says.

/** Seconds of each unit of work, on this backend, at this run's input size and batch size. */
export interface UnitCosts {
  /** Reading and decoding one stored image at the input size. */
  decodePerImage: number;
  /** Per stage: the frozen layers' forward pass for one image (building a cache, or feeding an uncached step). */
  frozenPerImage: Record<1 | 2, number>;
  /** Per stage: one optimizer step of the trained layers on a batch of the frozen layers' outputs. */
  stepPerBatch: Record<1 | 2, number>;
  /** Per stage: the trained layers' forward pass for one held-out image (validation each epoch, the test at the end). */
  evaluatePerImage: Record<1 | 2, number>;
  /** Per stage: writing the epoch-end checkpoint (its trained layers' weights and optimizer state). */
  checkpointPerEpoch: Record<1 | 2, number>;
  /** Loading the base (a cached download, or building it). */
  loadBase: number;
}

/** What the run does, counted from its settings and the project's images. */
export interface RunShape {
  images: number;
  train: number;
  validation: number;
  test: number;
  batchSize: number;
  stages: Record<1 | 2, { epochs: number; cached: boolean; views: number; searchTrials: number }>;
}

export interface StageEstimate {
  cache: number;
  search: number;
  epochs: number;
  total: number;
}

export interface RunEstimate {
  /** Decoding every image and loading the base. */
  prepare: number;
  stages: Record<1 | 2, StageEstimate>;
  total: number;
}

/**
 * The fewest trials an 'auto' learning rate makes per head kind: the recipe's rate and one step each way
 * on the grid (src/train/rate-search.ts climbs further only while a step keeps winning). A fixed rate
 * with several head kinds to choose from tries each kind once.
 */
export const FEWEST_TRIALS_PER_HEAD = 3;

function stageEstimate(stage: 1 | 2, shape: RunShape, costs: UnitCosts): StageEstimate {
  const { epochs, cached, views, searchTrials } = shape.stages[stage];
  if (epochs === 0) return { cache: 0, search: 0, epochs: 0, total: 0 };
  // As the stage loop counts them: full batches only.
  const steps = Math.max(1, Math.floor(shape.train / shape.batchSize));
  const frozen = costs.frozenPerImage[stage];
  const held = shape.validation + shape.test;
  // A cached stage runs its frozen layers once per image and view; an uncached one in every step and evaluation.
  const cache = cached ? (shape.train * (1 + views) + held) * frozen : 0;
  const perStep = costs.stepPerBatch[stage] + (cached ? 0 : shape.batchSize * frozen);
  const perHeldImage = costs.evaluatePerImage[stage] + (cached ? 0 : frozen);
  // Each epoch scores the validation images (the test images when there are none); nothing is searched without them.
  const trainEpoch = steps * perStep + (shape.validation || shape.test) * perHeldImage;
  const search = shape.validation ? searchTrials * Math.min(SEARCH_EPOCHS, epochs) * trainEpoch : 0;
  // At the end: the test report; stage 2 also scores stage 1's model and its own best on the validation images.
  const scoring = (shape.test + (stage === 2 ? 2 * shape.validation : 0)) * perHeldImage;
  const trained = epochs * (trainEpoch + costs.checkpointPerEpoch[stage]) + scoring;
  return { cache, search, epochs: trained, total: cache + search + trained };
}

/** Seconds for the whole run, by stage and part. */
export function estimateRun(shape: RunShape, costs: UnitCosts): RunEstimate {
  const prepare = shape.images * costs.decodePerImage + costs.loadBase;
  const stages = { 1: stageEstimate(1, shape, costs), 2: stageEstimate(2, shape, costs) };
  return { prepare, stages, total: prepare + stages[1].total + stages[2].total };
}
