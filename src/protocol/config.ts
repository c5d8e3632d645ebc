// The settings of a run, as the page, the command line and a checkpoint give them.

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendPreference = BackendName | 'auto';
export const BACKEND_CHAIN: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** How pixels are turned into network input; it belongs to the weights, not to the data. */
export const PREPROCESSINGS = ['caffe', 'tf', 'unit'] as const;
export type Preprocessing = (typeof PREPROCESSINGS)[number];

/** Whether `value` (a model's metadata, say) names a preprocessing. */
export function isPreprocessing(value: unknown): value is Preprocessing {
  return (PREPROCESSINGS as readonly unknown[]).includes(value);
}

export const OPTIMIZERS = ['rmsprop', 'sgd'] as const;

export interface AugmentConfig {
  /** Degrees, drawn uniformly in [-r, r]. */
  rotation: number;
  /** Fractions of width and height. */
  widthShift: number;
  heightShift: number;
  /** Shear angle in radians (Keras 2.0, which the recipe used, read shear_range in radians). */
  shear: number;
  /** Scale factors drawn in [1 - z, 1 + z], independently per axis. */
  zoom: number;
  horizontalFlip: boolean;
}

/**
 * The frozen-layer cache: a stage's frozen layers run once per image and view, and the stage trains the
 * layers above them on the stored outputs (stage 1: the head on block5_pool; stage 2: block5 and the head
 * on block4_pool).
 */
export interface CacheConfig {
  head: boolean;
  finetune: boolean;
  /** Augmented views stored per training image, besides the plain one (0 with augmentation off). */
  views: number;
  /** The most memory the stored outputs may take; fewer views are kept when they would take more. */
  budgetMB: number;
}

export interface StageConfig {
  epochs: number;
  /** 'auto': measured at the stage's start by a short search on the validation images (see rate-search.ts). */
  learningRate: number | 'auto';
  optimizer: (typeof OPTIMIZERS)[number];
}

/** The new head: the recipe's flatten -> Dense -> Dropout -> Dense, or global average pooling -> Dropout -> Dense. */
export type HeadKind = 'flatten' | 'gap';
export const HEAD_KINDS: readonly HeadKind[] = ['flatten', 'gap'];

export interface TrainConfig {
  /** Square input side in pixels, 32 or more. */
  inputSize: number;
  /** Units of the head's hidden Dense layer (the recipe's D). */
  headUnits: number;
  dropout: number;
  /** Images per step; 'auto' measures a step and takes the largest power of two that fits (see auto-batch.ts). */
  batchSize: number | 'auto';
  /** Fraction of each class held out for validation and the report. */
  testFraction: number;
  seed: number;
  /** Base layers from this index (or layer name) on are trained in stage 2; 'auto': the base's own default. */
  unfreezeFrom: number | string | 'auto';
  /** The head's kind; 'auto': the base's default (the recipe's flatten for VGG16), or measured against the others. */
  headKind: HeadKind | 'auto';
  /**
   * Share of each class's training images held out of training to validate every epoch: it picks the
   * learning rate and head ('auto'), the best epoch of each stage, and when to stop early. Never the test split.
   */
  validationFraction: number;
  /** A stage stops after this many epochs without a better validation score (null: it runs every epoch). */
  patience: number | null;
  /** Train BatchNormalization layers in training mode (batch statistics, moving averages updated); default: inference mode. */
  bnTrain: boolean;
  head: StageConfig;
  finetune: StageConfig;
  /** null turns augmentation off. */
  augment: AugmentConfig | null;
  /** Compute what a stage keeps frozen once, instead of in every epoch. */
  cache: CacheConfig;
  /**
   * Decoded images are kept in memory up to this many MB; a larger dataset is decoded batch by batch from
   * its files (IndexedDB, or the URLs), a few batches ahead, so memory stays flat however many images.
   */
  pixelBudgetMB: number;
  /** An image whose header declares more pixels than this many million is skipped before it is decoded. */
  maxImageMegapixels: number;
  /**
   * The base's weights: 'random' (untrained, He-uniform, seeded), 'imagenet' (Keras' VGG16 file), a URL
   * of a Keras .h5 file, 'cached:<sha256>' (a picked file), or 'URL/model.json#layer' (a TF.js model).
   */
  weights: string;
  /** 'auto': the preprocessing that belongs to the weights (caffe for Keras VGG16, unit for random). */
  preprocessing: Preprocessing | 'auto';
  backend: BackendPreference;
  /** Stage 2's backend when it should differ from `backend` (unset: as `backend`, or measured with auto). */
  finetuneBackend?: BackendPreference;
  /** Threads of the wasm backend (unset: every core); settled when wasm first starts in the worker. */
  threads?: number;
}

/** A config as a session runs it: the preprocessing, batch size and stage-2 layer the base needs are settled. */
export type EffectiveConfig = Omit<TrainConfig, 'batchSize' | 'unfreezeFrom'> & { preprocessing: Preprocessing; batchSize: number; unfreezeFrom: number | string };
