import { ConfigError } from './errors';
import { MAX_IMAGE_MEGAPIXELS } from './data/decode';
import { parseWeights } from './model/base-source';
import type { AugmentConfig, CacheConfig, TrainConfig } from './protocol';
import { CACHE_CHOICES, listOf, SETTINGS, valueAt, type Setting } from './settings';

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
export type CacheChoice = (typeof CACHE_CHOICES)[number];
export { CACHE_CHOICES };

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

function requireInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
    throw new ConfigError(`${name} must be ${range}, got ${String(value)}`);
  }
}

function requireRange(name: string, value: unknown, min: number, max: number, minInclusive = true): void {
  const number = value as number;
  const aboveMin = minInclusive ? number >= min : number > min;
  if (typeof value !== 'number' || !Number.isFinite(number) || !aboveMin || number > max) {
    throw new ConfigError(`${name} must be ${minInclusive ? 'from' : 'above'} ${min} ${minInclusive ? 'to' : 'and at most'} ${max}, got ${String(value)}`);
  }
}

/** One setting's value against its row of the table, naming the setting. */
function checkSetting(row: Setting & { path: string }, value: unknown): void {
  const name = row.path;
  // Absent (undefined, or null as a caller may send it) means: decided at run time.
  if ((value === undefined || value === null) && row.optional) return;
  // 'auto' as itself; 'off' is stored as null (the word is the command line's and the form's).
  if ((value === 'auto' && row.words?.includes('auto')) || (value === null && row.words?.includes('off'))) return;
  switch (row.type) {
    case 'integer':
      return requireInteger(name, value, row.min ?? 0, row.max);
    case 'number':
      return requireRange(name, value, row.min ?? 0, row.max ?? Number.MAX_VALUE, !row.minExclusive);
    case 'choice':
      if (!row.choices!.includes(value as string)) throw new ConfigError(`${name} must be ${listOf(row.choices!)}; got '${String(value)}'`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') throw new ConfigError(`${name} must be true or false, got '${String(value)}'`);
      return;
    case 'layer':
      if (typeof value === 'number') return requireInteger(name, value, 0);
      if (typeof value !== 'string' || value === '') throw new ConfigError(`${name} must be a layer index or a layer name`);
      return;
    case 'text':
      if (name !== 'weights') throw new Error(`the settings table's text row ${name} has no check`);
      parseWeights(String(value));
      return;
  }
}

/** Rejects any value that cannot work, naming the setting (the settings table's types and ranges). */
export function validateConfig(c: TrainConfig): void {
  for (const row of SETTINGS) {
    if (row.path && !(row.path.startsWith('augment.') && !c.augment)) checkSetting(row as Setting & { path: string }, valueAt(c, row.path));
  }
}

/** A setting's help with its default, as the settings form and the element's attribute docs give it. */
export function helpWithDefault(row: Setting): string {
  return `${row.help} (default: ${defaultText(row)})`;
}

/** A setting's default as a person reads it: the recipe's value at its path ('off' for null and false), or what the table says where the config has none. */
export function defaultText(row: Setting): string {
  const value = row.path ? valueAt(RECIPE_DEFAULTS, row.path) : undefined;
  if (value === undefined) return row.shownDefault ?? 'none';
  return value === null || value === false ? 'off' : String(value);
}
