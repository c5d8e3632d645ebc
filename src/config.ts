import { ConfigError } from './errors';
import { MAX_IMAGE_MEGAPIXELS } from './data/decode';
import { parseWeights } from './model/base-source';
import { BACKEND_CHAIN, HEAD_KINDS, type AugmentConfig, type CacheConfig, type TrainConfig } from './protocol';

/** The reference recipe's augmentation (RECIPE.md section 3). */
export const RECIPE_AUGMENT: AugmentConfig = {
  rotation: 30,
  widthShift: 0.1,
  heightShift: 0.1,
  shear: 0.2,
  zoom: 0.2,
  horizontalFlip: true,
};

/** The recipe's learning rates (RMSprop in stage 1, SGD in stage 2): where a rate search starts. */
export const RECIPE_LEARNING_RATE = 1e-3;

/**
 * The defaults: the reference recipe's numbers (RECIPE.md sections 2-5), except where it has flaws: the
 * learning rates are measured on the user's data ('auto'), and a validation slice of the training images
 * keeps each stage's best epoch and stops it early.
 */
export const RECIPE_DEFAULTS: TrainConfig = {
  inputSize: 224,
  headUnits: 256,
  dropout: 0.5,
  batchSize: 32,
  testFraction: 0.25,
  seed: 42,
  unfreezeFrom: 'auto',
  headKind: 'auto',
  validationFraction: 0.15,
  patience: 5,
  bnTrain: false,
  head: { epochs: 25, learningRate: 'auto', optimizer: 'rmsprop' },
  finetune: { epochs: 100, learningRate: 'auto', optimizer: 'sgd' },
  augment: RECIPE_AUGMENT,
  cache: { head: true, finetune: true, views: 2, budgetMB: 1024 },
  pixelBudgetMB: 512,
  maxImageMegapixels: MAX_IMAGE_MEGAPIXELS,
  weights: 'random',
  preprocessing: 'auto',
  backend: 'auto',
};

/** A named set of the four numbers that decide a run's length: what a newcomer picks instead of typing them. */
export interface RunPreset {
  label: string;
  inputSize: number;
  headEpochs: number;
  finetuneEpochs: number;
  batchSize: number;
}

/**
 * 'quick': small images and few epochs, minutes on a CPU (the bundled sample's preset); 'recipe': the
 * reference recipe's 224 px and 25 + 100 epochs, hours on a CPU and minutes on a GPU.
 */
export const RUN_PRESETS = {
  quick: { label: 'Quick try', inputSize: 32, headEpochs: 30, finetuneEpochs: 20, batchSize: 8 },
  recipe: { label: 'The recipe', inputSize: RECIPE_DEFAULTS.inputSize, headEpochs: RECIPE_DEFAULTS.head.epochs, finetuneEpochs: RECIPE_DEFAULTS.finetune.epochs, batchSize: 32 },
} as const satisfies Record<string, RunPreset>;
export type RunPresetName = keyof typeof RUN_PRESETS;

/** Which stages train on stored outputs of their frozen layers, as one word (the CLI's --cache, the element's cache). */
export type CacheChoice = 'both' | 'head' | 'finetune' | 'none';
export const CACHE_CHOICES: readonly CacheChoice[] = ['both', 'head', 'finetune', 'none'];

export function cacheStages(choice: CacheChoice): Pick<CacheConfig, 'head' | 'finetune'> {
  return { head: choice === 'both' || choice === 'head', finetune: choice === 'both' || choice === 'finetune' };
}

export function cacheChoice({ head, finetune }: Pick<CacheConfig, 'head' | 'finetune'>): CacheChoice {
  return head ? (finetune ? 'both' : 'head') : finetune ? 'finetune' : 'none';
}

export type TrainConfigInput = Partial<Omit<TrainConfig, 'head' | 'finetune' | 'cache'>> & {
  head?: Partial<TrainConfig['head']>;
  finetune?: Partial<TrainConfig['finetune']>;
  cache?: Partial<TrainConfig['cache']>;
};

/** `change` laid over a complete config, stage settings field by field. */
export function overlayConfig(base: TrainConfig, change: TrainConfigInput = {}): TrainConfigInput {
  return {
    ...base,
    ...change,
    head: { ...base.head, ...change.head },
    finetune: { ...base.finetune, ...change.finetune },
    cache: { ...RECIPE_DEFAULTS.cache, ...base.cache, ...change.cache },
  };
}

/** Fills in the recipe's defaults and rejects any value that cannot work, naming the setting. */
export function resolveConfig(input: TrainConfigInput = {}): TrainConfig {
  const config: TrainConfig = {
    ...RECIPE_DEFAULTS,
    ...input,
    head: { ...RECIPE_DEFAULTS.head, ...input.head },
    finetune: { ...RECIPE_DEFAULTS.finetune, ...input.finetune },
    cache: { ...RECIPE_DEFAULTS.cache, ...input.cache },
  };
  validateConfig(config);
  return config;
}

function requireInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new ConfigError(`${name} must be ${range}, got ${String(value)}`);
  }
}

function requireRange(name: string, value: number, min: number, max: number, minInclusive = true): void {
  const aboveMin = minInclusive ? value >= min : value > min;
  if (!Number.isFinite(value) || !aboveMin || value > max) {
    throw new ConfigError(`${name} must be ${minInclusive ? 'from' : 'above'} ${min} ${minInclusive ? 'to' : 'and at most'} ${max}, got ${String(value)}`);
  }
}

export function validateConfig(c: TrainConfig): void {
  requireInteger('inputSize', c.inputSize, 32, 1024);
  requireInteger('headUnits', c.headUnits, 1);
  requireRange('dropout', c.dropout, 0, 0.95);
  if (c.batchSize !== 'auto') requireInteger('batchSize', c.batchSize, 1, 4096);
  requireRange('testFraction', c.testFraction, 0, 0.9);
  requireInteger('seed', c.seed, 0, 2 ** 32 - 1);
  requireInteger('head.epochs', c.head.epochs, 0);
  requireInteger('finetune.epochs', c.finetune.epochs, 0);
  for (const [name, rate] of [['head.learningRate', c.head.learningRate], ['finetune.learningRate', c.finetune.learningRate]] as const) {
    if (rate !== 'auto') requireRange(name, rate, 0, 10, false);
  }
  if (c.headKind !== 'auto' && !HEAD_KINDS.includes(c.headKind)) {
    throw new ConfigError(`headKind must be auto, ${HEAD_KINDS.join(' or ')}; got '${String(c.headKind)}'`);
  }
  requireRange('validationFraction', c.validationFraction, 0, 0.5);
  if (c.patience !== null) requireInteger('patience', c.patience, 1);
  if (typeof c.bnTrain !== 'boolean') throw new ConfigError(`bnTrain must be true or false, got '${String(c.bnTrain)}'`);
  for (const [name, opt] of [['head.optimizer', c.head.optimizer], ['finetune.optimizer', c.finetune.optimizer]] as const) {
    if (opt !== 'rmsprop' && opt !== 'sgd') throw new ConfigError(`${name} must be 'rmsprop' or 'sgd', got '${String(opt)}'`);
  }
  if (!['auto', 'caffe', 'tf', 'unit'].includes(c.preprocessing)) {
    throw new ConfigError(`preprocessing must be 'auto', 'caffe', 'tf' or 'unit', got '${String(c.preprocessing)}'`);
  }
  for (const [name, value] of [['backend', c.backend], ['finetuneBackend', c.finetuneBackend ?? 'auto']] as const) {
    if (value !== 'auto' && !BACKEND_CHAIN.includes(value)) {
      throw new ConfigError(`${name} must be one of auto, ${BACKEND_CHAIN.join(', ')}; got '${String(value)}'`);
    }
  }
  parseWeights(String(c.weights));
  if (c.augment) {
    requireRange('augment.rotation', c.augment.rotation, 0, 180);
    requireRange('augment.widthShift', c.augment.widthShift, 0, 1);
    requireRange('augment.heightShift', c.augment.heightShift, 0, 1);
    requireRange('augment.shear', c.augment.shear, 0, 1.5);
    requireRange('augment.zoom', c.augment.zoom, 0, 0.9);
  }
  requireInteger('cache.views', c.cache.views, 0, 16);
  requireRange('cache.budgetMB', c.cache.budgetMB, 0, 65536, false);
  requireRange('pixelBudgetMB', c.pixelBudgetMB, 0, 65536);
  if (c.threads !== undefined) requireInteger('threads', c.threads, 1, 256);
  requireRange('maxImageMegapixels', c.maxImageMegapixels, 0, 10_000, false);
  if (typeof c.unfreezeFrom === 'number') requireInteger('unfreezeFrom', c.unfreezeFrom, 0);
  else if (typeof c.unfreezeFrom !== 'string' || c.unfreezeFrom === '') {
    throw new ConfigError('unfreezeFrom must be a layer index or a layer name');
  }
}
