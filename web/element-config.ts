import { cacheChoice, cacheStages, RECIPE_DEFAULTS, RUN_PRESETS, type CacheChoice, type RunPresetName, type TrainConfigInput } from '../src/config';
import type { BackendPreference, Preprocessing, TrainConfig } from '../src/protocol';
import type { PresetChoice } from './views/plan-view';

// The element's settings as attributes and the form hold them (text where a value may be 'auto' or
// 'off'), and as the trainer takes them: one codec each way.

export interface ElementSettings {
  base: string;
  weights: string;
  preprocessing: Preprocessing | 'auto';
  inputSize: number;
  headUnits: number;
  headEpochs: number;
  finetuneEpochs: number;
  headLr: string;
  finetuneLr: string;
  headKind: string;
  validationFraction: number;
  patience: string;
  bnTrain: boolean;
  /** 'auto' only from a stored config (the command line's --batch auto); the form edits numbers. */
  batchSize: number | 'auto';
  unfreezeFrom: string;
  backend: BackendPreference;
  threads?: number | undefined;
  cache: CacheChoice;
  cacheViews: number;
}

/** The recipe's settings, as the element starts with them. */
export function defaultSettings(): ElementSettings {
  const d = RECIPE_DEFAULTS;
  return {
    base: 'vgg16',
    weights: d.weights,
    preprocessing: d.preprocessing,
    inputSize: d.inputSize,
    headUnits: d.headUnits,
    headEpochs: d.head.epochs,
    finetuneEpochs: d.finetune.epochs,
    headLr: String(d.head.learningRate),
    finetuneLr: String(d.finetune.learningRate),
    headKind: d.headKind,
    validationFraction: d.validationFraction,
    patience: String(d.patience ?? 'off'),
    bnTrain: d.bnTrain,
    batchSize: d.batchSize,
    unfreezeFrom: String(d.unfreezeFrom),
    backend: d.backend,
    cache: 'both',
    cacheViews: d.cache.views,
  };
}

/** The settings as the trainer takes them. */
export function configOf(s: ElementSettings): TrainConfigInput {
  const unfreeze = /^\d+$/.test(s.unfreezeFrom) ? Number(s.unfreezeFrom) : s.unfreezeFrom;
  const rate = (value: string): number | 'auto' => (String(value).trim() === 'auto' ? 'auto' : Number(value));
  const patience = String(s.patience).trim();
  return {
    weights: s.base && s.base !== 'vgg16' ? s.base : s.weights,
    preprocessing: s.preprocessing,
    inputSize: s.inputSize,
    headUnits: s.headUnits,
    batchSize: s.batchSize,
    unfreezeFrom: unfreeze,
    headKind: s.headKind as TrainConfigInput['headKind'],
    validationFraction: s.validationFraction,
    patience: patience === 'off' ? null : Number(patience),
    bnTrain: s.bnTrain,
    backend: s.backend,
    ...(s.threads ? { threads: s.threads } : {}),
    head: { epochs: s.headEpochs, learningRate: rate(s.headLr) },
    finetune: { epochs: s.finetuneEpochs, learningRate: rate(s.finetuneLr) },
    cache: { ...cacheStages(s.cache), views: s.cacheViews },
  };
}

/** A stored config (a project's, a checkpoint's) as the form shows it; `current` keeps VGG16's weights when the base is a TF.js model. */
export function settingsOf(config: TrainConfig, current: Pick<ElementSettings, 'weights'>): ElementSettings {
  // A project stored before the frozen-layer cache existed has no cache settings: show the defaults.
  const cache = config.cache ?? RECIPE_DEFAULTS.cache;
  const weightsIsBase = config.weights.includes('#');
  return {
    base: weightsIsBase ? config.weights : 'vgg16',
    weights: weightsIsBase ? current.weights : config.weights,
    preprocessing: config.preprocessing ?? RECIPE_DEFAULTS.preprocessing,
    inputSize: config.inputSize,
    headUnits: config.headUnits,
    batchSize: config.batchSize,
    unfreezeFrom: String(config.unfreezeFrom),
    backend: config.backend,
    headEpochs: config.head.epochs,
    headLr: String(config.head.learningRate),
    finetuneEpochs: config.finetune.epochs,
    finetuneLr: String(config.finetune.learningRate),
    // Stored before these settings existed: the defaults.
    headKind: config.headKind ?? RECIPE_DEFAULTS.headKind,
    validationFraction: config.validationFraction ?? RECIPE_DEFAULTS.validationFraction,
    patience: String((config.patience === undefined ? RECIPE_DEFAULTS.patience : config.patience) ?? 'off'),
    bnTrain: config.bnTrain ?? RECIPE_DEFAULTS.bnTrain,
    cache: cacheChoice(cache),
    cacheViews: cache.views,
  };
}

/** The four numbers a preset sets. */
export function presetSettings(name: RunPresetName): Pick<ElementSettings, 'inputSize' | 'headEpochs' | 'finetuneEpochs' | 'batchSize'> {
  const { inputSize, headEpochs, finetuneEpochs, batchSize } = RUN_PRESETS[name];
  return { inputSize, headEpochs, finetuneEpochs, batchSize };
}

/** The preset the four numbers match, or custom. */
export function presetOf(s: Pick<ElementSettings, 'inputSize' | 'headEpochs' | 'finetuneEpochs' | 'batchSize'>): PresetChoice {
  const match = (Object.keys(RUN_PRESETS) as RunPresetName[]).find((name) => {
    const p = RUN_PRESETS[name];
    return p.inputSize === s.inputSize && p.headEpochs === s.headEpochs && p.finetuneEpochs === s.finetuneEpochs && p.batchSize === Number(s.batchSize);
  });
  return match ?? 'custom';
}

/** The values the settings form shows, by field. */
export function formValues(s: ElementSettings): Record<string, string | number> {
  const { inputSize, batchSize, headUnits, headEpochs, headLr, finetuneEpochs, finetuneLr, headKind, validationFraction, patience, unfreezeFrom, preprocessing, backend, cache, cacheViews } = s;
  return { inputSize, batchSize, headUnits, headEpochs, headLr, finetuneEpochs, finetuneLr, headKind, validationFraction, patience, unfreezeFrom, preprocessing, backend, cache, cacheViews };
}
