// The messages and types that cross the worker boundary. Everything here is structured-cloneable.

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendPreference = BackendName | 'auto';
export const BACKEND_CHAIN: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** How pixels are turned into network input; it belongs to the weights, not to the data. */
export type Preprocessing = 'caffe' | 'tf' | 'unit';

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
  optimizer: 'rmsprop' | 'sgd';
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

/** One image of a dataset, before decoding: where to get its bytes and which class folder it sits in. */
export type DatasetItem = {
  /** Path relative to the dataset root, e.g. `daisy/img_01.jpg`; used in every message about the file. */
  path: string;
  className: string;
} & ImageBytes;

/** Where an image's bytes are: a URL the worker fetches, or the bytes themselves (a File from a picker, a stored image). */
export type ImageBytes = { url: string; blob?: never } | { blob: Blob; url?: never };

export interface DatasetSource {
  classes: string[];
  items: DatasetItem[];
}

/** One image decoded for a preview or a check: RGB bytes, or why it could not be read. */
export interface DecodedImage {
  path: string;
  pixels: Uint8Array | null;
  error: string | null;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

/** What a timed probe ran: a forward convolution (stage 1's work) or one with its gradients (stage 2's). */
export type ProbeKind = 'forward' | 'train';

export interface ProbeTiming {
  backend: BackendName;
  kind: ProbeKind;
  ms: number;
}

export interface BackendChoice {
  stage: 1 | 2;
  backend: BackendName;
  /** One sentence: why this backend, including why any earlier one was passed over. */
  reason: string;
  skipped: { backend: BackendName; reason: string }[];
  probes: ProbeTiming[];
  /** e.g. the WebGPU adapter description or 'wasm simd, 2 threads'. */
  detail: string;
}

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

export type TrainEvent =
  | { type: 'backend'; choice: BackendChoice }
  | { type: 'info'; message: string }
  /** The run stopped between two batches on a pause ('paused'), or went on after one ('running'); `where` says where it stands. */
  | { type: 'status'; state: 'paused' | 'running'; where: string }
  | { type: 'warning'; message: string }
  | { type: 'decode-progress'; done: number; total: number }
  /** `done` of `total` passes of the frozen layers: each of `images` training images in `views` views, each held-out image once. */
  | { type: 'cache-progress'; stage: 1 | 2; done: number; total: number; images: number; views: number; held: number }
  | { type: 'cache'; stage: 1 | 2; layer: string; shape: string; images: number; views: number; bytes: number; seconds: number; where: 'gpu' | 'memory' }
  | { type: 'download'; url: string; loaded: number; total: number | null }
  | { type: 'skipped'; file: SkippedFile }
  | { type: 'dataset'; classes: string[]; counts: number[]; train: number; validation: number; test: number; skipped: number }
  /** `epoch`: the one it starts at (1, or a resumed checkpoint's). */
  | { type: 'stage-start'; stage: 1 | 2; epoch: number; epochs: number; stepsPerEpoch: number; trainableFrom: number; optimizer: string; learningRate: number | 'auto' }
  | { type: 'search-progress'; stage: 1 | 2; trial: number; epoch: number; epochs: number }
  | { type: 'search-trial'; stage: 1 | 2; trial: SearchTrial; epochs: number }
  | { type: 'search'; stage: 1 | 2; search: RateSearch; chosen: SearchTrial }
  | { type: 'stage-restart'; stage: 1 | 2; learningRate: number; restarts: number; reason: string }
  | { type: 'batch'; stage: 1 | 2; epoch: number; step: number; steps: number; loss: number; acc: number }
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'stage-end'; stage: 1 | 2; result: StageResult; classes: string[] }
  | { type: 'features-end'; result: StageResult; classes: string[]; features: number; seconds: number }
  | { type: 'checkpoint'; state: 'writing' | 'saved'; where: string; bytes: number; ms: number; sink: string }
  | { type: 'resumed'; where: string; from: string }
  | { type: 'fault'; kind: FaultKind; message: string; action: string };

/** What went wrong under a run: the GPU device went away, memory ran out, or a kernel threw. */
export type FaultKind = 'device-lost' | 'out-of-memory' | 'kernel';

/** How a run answers a fault: resume from its last checkpoint, up to `attempts` times. */
export interface RecoverySettings {
  /** Faults survived per run (0: the first fault ends it). */
  attempts: number;
  /** On running out of memory, resume with half the batch size instead of stopping with that advice. */
  smallerBatch: boolean;
}

/** May return a promise: the worker then waits for it before a call that emitted the event returns. */
export type TrainEventListener = (event: TrainEvent) => void | Promise<void>;

/** Where a session keeps its checkpoints. */
export type CheckpointTarget = { kind: 'indexeddb'; projectId: string } | { kind: 'http'; url: string };

export interface CheckpointSettings {
  target: CheckpointTarget;
  /** Also every this many batches (default: only at epoch ends, and at least every `everySeconds`). */
  everyBatches?: number | null;
  everySeconds?: number;
  /** Skip an epoch-end checkpoint that would take more than this share of the time (default 0.1; 1: never skip). */
  maxOverhead?: number;
}

export interface PrepareResult {
  /** The settings in effect (a resumed run's come from its checkpoint), preprocessing and size resolved. */
  config: TrainConfig;
  /** Which base, and the identity of its weights (seed or content hash). */
  base: { label: string; identity: string };
  /** Stage 1's backend, which also decodes, evaluates and exports. */
  backend: BackendChoice;
  finetuneBackend: BackendChoice;
  classes: string[];
  counts: number[];
  trainSize: number;
  validationSize: number;
  testSize: number;
  /** Index of the head's first layer: the base is every layer before it. */
  headStart: number;
  skipped: SkippedFile[];
  layers: LayerInfo[];
  /** Held-out images, by path. */
  testPaths: string[];
  /** Where a resumed session picks up ('' for a fresh one). */
  resumedAt: string;
  /** Both stages already finished in the checkpoint this session resumed. */
  finished: boolean;
}

export interface RecipeResult extends PrepareResult {
  stages: StageResult[];
}

/** A trained model as tfjs writes it: the model.json text and the one weights file it names. */
export interface ExportedModel {
  modelJson: string;
  weightsFileName: string;
  weights: ArrayBuffer;
}

export interface LayerFingerprint {
  index: number;
  name: string;
  /** FNV-1a over the bytes of every weight of the layer; '' for layers without weights. */
  hash: string;
}
