import { BACKEND_CHAIN, HEAD_KINDS, OPTIMIZERS, PREPROCESSINGS } from './protocol';

// The training settings, one row each: where the value lives in TrainConfig, its type and range, the
// command line's flag, the element's property and attribute, and one help text. The config's validation,
// the command line's setting options, their parsing and --help, and the element's settings form are
// generated from this table; the element's properties and attribute docs (which the analyzer reads from
// its source, so they are written there) and the README's options table are checked against it
// (test/unit/settings-table.test.ts). Defaults are not restated here: they are the recipe's
// (RECIPE_DEFAULTS), read at the row's path. Plain data: --help reads it without TF.js installed.

export type SettingType =
  /** A whole number in [min, max]. */
  | 'integer'
  /** A finite number in [min, max] (or (min, max] with minExclusive). */
  | 'number'
  /** One of `choices`. */
  | 'choice'
  | 'boolean'
  /** A base layer, by index (digits) or name. */
  | 'layer'
  /** Free text checked by its own parser (the weights). */
  | 'text';

export interface Setting {
  /** Where the value lives in TrainConfig ('inputSize', 'head.epochs'); none for a setting that sets several (cache). */
  path?: string;
  type: SettingType;
  min?: number;
  max?: number;
  minExclusive?: boolean;
  /** Allowed values of a choice. */
  choices?: readonly string[];
  /** Words a number may be instead: 'auto' (decided by measuring), 'off' (stored as null). */
  words?: readonly ('auto' | 'off')[];
  /** The element and its form take a number only: the words come from the command line (what they mean: `wordsHelp`) or a stored config. */
  elementNumber?: true;
  wordsHelp?: string;
  /** May be absent from a config (absent means: decided at run time, as `shownDefault` says). */
  optional?: boolean;
  /** The default as a person reads it, where the config has none to show (threads: every core). */
  shownDefault?: string;
  /** The command line's flag (without --) and the name of its value in --help. */
  flag?: string;
  arg?: string;
  /** The element's property and attribute. */
  property?: string;
  attribute?: string;
  /** The settings form's label (a setting with one is in the form, in this table's order). */
  label?: string;
  /** The step of the form's number field (integers: 1). */
  step?: number;
  help: string;
}

/** The values of the cache setting (which stages train on stored outputs of their frozen layers). */
export const CACHE_CHOICES = ['both', 'head', 'finetune', 'none'] as const;

const AUTO = ['auto'] as const;

export const SETTINGS: readonly Setting[] = [
  { path: 'weights', type: 'text', flag: 'weights', arg: 'W', help: "the base: random (untrained VGG16, seeded), imagenet (Keras' VGG16 file, downloaded once to ~/.keras/models), FILE.h5 or URL.h5 (Keras VGG16 weights), or path/or/URL/model.json#layer (a TF.js layers model cut at that layer)" },
  {
    path: 'inputSize', type: 'integer', min: 32, max: 1024, flag: 'size', arg: 'N', property: 'inputSize', attribute: 'input-size', label: 'Image size (px)',
    help: 'square input side in pixels, 32 to 1024 (32-64 for a quick try)',
  },
  {
    path: 'batchSize', type: 'integer', min: 1, max: 4096, words: AUTO, elementNumber: true, flag: 'batch', arg: 'N|auto', property: 'batchSize', attribute: 'batch-size', label: 'Batch size',
    help: 'images per batch (smaller uses less memory)',
    wordsHelp: 'auto: the largest power of two up to 64 whose measured step fits the memory budget',
  },
  { path: 'headUnits', type: 'integer', min: 1, flag: 'head-units', arg: 'N', property: 'headUnits', attribute: 'head-units', label: 'Head units', help: "hidden units of the flatten head's Dense layer" },
  { path: 'head.epochs', type: 'integer', min: 0, flag: 'head-epochs', arg: 'N', property: 'headEpochs', attribute: 'head-epochs', label: 'Stage 1 epochs', help: 'stage 1 epochs: the new head on the frozen base (0 skips the stage)' },
  {
    path: 'headKind', type: 'choice', choices: [...AUTO, ...HEAD_KINDS], flag: 'head', arg: 'H', property: 'headKind', attribute: 'head', label: 'Head',
    help: "the new head: flatten (the recipe's: Flatten, Dense, Dropout, Dense), gap (global average pooling, Dropout, Dense), or auto (flatten on VGG16; on other bases the search picks)",
  },
  {
    path: 'head.learningRate', type: 'number', min: 0, max: 10, minExclusive: true, words: AUTO, flag: 'head-lr', arg: 'X|auto', property: 'headLr', attribute: 'head-lr', label: 'Stage 1 learning rate',
    help: "stage 1's RMSprop learning rate, or auto: a short search from the recipe's 0.001, scored on the validation images",
  },
  { path: 'finetune.epochs', type: 'integer', min: 0, flag: 'finetune-epochs', arg: 'N', property: 'finetuneEpochs', attribute: 'finetune-epochs', label: 'Stage 2 epochs', help: 'stage 2 epochs: the base trained too, from the unfreeze layer on (0 skips the stage)' },
  {
    path: 'finetune.learningRate', type: 'number', min: 0, max: 10, minExclusive: true, words: AUTO, flag: 'finetune-lr', arg: 'X|auto', property: 'finetuneLr', attribute: 'finetune-lr', label: 'Stage 2 learning rate',
    help: "stage 2's SGD learning rate, or auto: the same search",
  },
  {
    path: 'unfreezeFrom', type: 'layer', words: AUTO, flag: 'unfreeze-from', arg: 'L', property: 'unfreezeFrom', attribute: 'unfreeze-from', label: 'Unfreeze from layer',
    help: "the first base layer stage 2 trains, by index or name; auto: the base's own (VGG16: 15, block5_conv1), else its last convolutional block",
  },
  {
    path: 'validationFraction', type: 'number', min: 0, max: 0.5, flag: 'val-fraction', arg: 'X', property: 'validationFraction', attribute: 'validation-fraction', label: 'Validation share', step: 0.05,
    help: "share of each class's training images that validates every epoch: it picks the rates, each stage's best epoch and when to stop (never the test images)",
  },
  {
    path: 'patience', type: 'integer', min: 1, words: ['off'], flag: 'patience', arg: 'N|off', property: 'patience', attribute: 'patience', label: 'Patience (epochs)',
    help: "stop a stage after N epochs without a lower validation loss; off: every epoch runs (the best epoch's weights are kept either way)",
  },
  {
    path: 'preprocessing', type: 'choice', choices: [...AUTO, ...PREPROCESSINGS], flag: 'preprocessing', arg: 'P', property: 'preprocessing', attribute: 'preprocessing', label: 'Preprocessing',
    help: "how pixels are scaled for the base: auto (what its weights expect: caffe for Keras VGG16, unit for random), unit (/255), tf (-1..1) or caffe (BGR, ImageNet mean subtracted); a TF.js model this tool does not know needs one",
  },
  {
    path: 'backend', type: 'choice', choices: [...AUTO, ...BACKEND_CHAIN], flag: 'backend', arg: 'B', property: 'backend', attribute: 'backend', label: 'Backend',
    help: 'auto (the fastest measured here, per stage), webgpu, webgl, wasm or cpu',
  },
  { path: 'finetuneBackend', type: 'choice', choices: [...AUTO, ...BACKEND_CHAIN], optional: true, shownDefault: 'as --backend', flag: 'finetune-backend', arg: 'B', help: "stage 2's backend, when it should differ" },
  {
    path: 'threads', type: 'integer', min: 1, max: 256, optional: true, shownDefault: 'every core', flag: 'threads', arg: 'N', property: 'threads', attribute: 'threads',
    help: 'threads of the wasm backend (needs a cross-origin isolated page); the log says how many ran and why fewer',
  },
  {
    type: 'choice', choices: CACHE_CHOICES, shownDefault: 'both', flag: 'cache', arg: 'WHICH', property: 'cache', attribute: 'cache', label: 'Frozen-layer cache',
    help: 'stages that run their frozen layers once per image and view, then train on the stored outputs (much faster): both, head (stage 1), finetune (stage 2) or none',
  },
  {
    path: 'cache.views', type: 'integer', min: 0, max: 16, flag: 'cache-views', arg: 'N', property: 'cacheViews', attribute: 'cache-views', label: 'Cached views',
    help: 'augmented views stored per training image besides the plain one: more is closer to fresh augmentation',
  },
  { path: 'cache.budgetMB', type: 'number', min: 0, max: 65536, minExclusive: true, flag: 'cache-mb', arg: 'N', help: 'the most memory the stored outputs may take, in MB (fewer views are kept when they would take more)' },
  { path: 'pixelBudgetMB', type: 'number', min: 0, max: 65536, flag: 'pixel-mb', arg: 'N', help: 'decoded images are kept in memory up to N MB; a larger dataset is decoded from its files batch by batch, 2 batches ahead' },
  { path: 'maxImageMegapixels', type: 'number', min: 0, max: 10_000, minExclusive: true, flag: 'max-megapixels', arg: 'N', help: 'refuse (skip, naming the file) images larger than N megapixels, before decoding them' },
  { path: 'testFraction', type: 'number', min: 0, max: 0.9, flag: 'test-fraction', arg: 'X', help: 'share of each class held out for the report (stratified, seeded)' },
  { path: 'seed', type: 'integer', min: 0, max: 2 ** 32 - 1, flag: 'seed', arg: 'N', help: 'seed of the split, shuffles, augmentation, dropout and initial weights' },
  {
    path: 'bnTrain', type: 'boolean', flag: 'bn-train', property: 'bnTrain', attribute: 'bn-train',
    help: 'train BatchNormalization layers in training mode (batch statistics, moving averages updated); without it, inference mode, as Keras advises when fine-tuning',
  },
  { path: 'dropout', type: 'number', min: 0, max: 0.95, help: "the head's dropout rate" },
  { path: 'head.optimizer', type: 'choice', choices: OPTIMIZERS, help: "stage 1's optimizer" },
  { path: 'finetune.optimizer', type: 'choice', choices: OPTIMIZERS, help: "stage 2's optimizer" },
  { path: 'augment.rotation', type: 'number', min: 0, max: 180, help: 'largest rotation, in degrees' },
  { path: 'augment.widthShift', type: 'number', min: 0, max: 1, help: 'largest horizontal shift, as a share of the width' },
  { path: 'augment.heightShift', type: 'number', min: 0, max: 1, help: 'largest vertical shift, as a share of the height' },
  { path: 'augment.shear', type: 'number', min: 0, max: 1.5, help: 'largest shear' },
  { path: 'augment.zoom', type: 'number', min: 0, max: 0.9, help: 'largest zoom, as a share' },
];

/** The element holds it as a number (a Number property, a number field in the form); else as text or a choice. */
export function isNumberField(row: Setting): boolean {
  return (row.type === 'integer' || row.type === 'number') && (!row.words || row.elementNumber === true);
}

/** The value at a dotted path of a config, or undefined where a step is missing or null (augment: null). */
export function valueAt(config: object, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), config);
}

/** Sets a dotted path, making the objects on the way. */
export function setAt(config: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let target = config;
  for (const key of keys) target = (target[key] ??= {}) as Record<string, unknown>;
  target[last] = value;
}

/** The values a choice setting takes, as a sentence: "auto, flatten or gap". */
export function listOf(values: readonly string[]): string {
  return values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : values.join('');
}
