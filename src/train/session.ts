import * as tf from '@tensorflow/tfjs';
import { activate, selectBackends } from '../backend/select';
import { RECIPE_DEFAULTS, resolveConfig, type TrainConfigInput } from '../config';
import { describePixels, loadPixels, type PixelDataset } from '../data/load';
import { PREPROCESSING_LABEL } from '../data/preprocess';
import { splitStratified, type Split } from '../data/split';
import { BackendError, ConfigError, DatasetError, WeightsError } from '../errors';
import { exportLayersModel } from '../model/export';
import { attachHead, dropoutLayers } from '../model/head';
import { fingerprintLayers, inspectLayers, layerIndex, requireBaseLayer } from '../model/layers';
import { loadBase } from '../model/base';
import { parseWeights } from '../model/base-source';
import type { FinetuneStore } from '../store/schema';
import type {
  DatasetSource,
  EffectiveConfig,
  ExportedModel,
  LayerFingerprint,
  Prediction,
  PrepareResult,
  RecipeResult,
  SkippedFile,
  StageResult,
  TrainConfig,
  TrainEventListener,
} from '../protocol';
import { streamFor } from '../rng';
import { encodeModelWeights, encodeOptimizer, restoreModelWeights, type Checkpoint, type CheckpointSink } from './checkpoint';
import { Checkpointer, DEFAULT_CHECKPOINT_POLICY, type CheckpointPolicy } from './checkpointer';
import { RunControl } from './control';
import { featureClassifier, fitLogistic, LOGISTIC_DEFAULTS, pooledFeatures, type LogisticSettings } from './features';
import { prefixModel } from './frozen-cache';
import { predictImages } from './predict';
import { autoBatchSize } from './auto-batch';
import { datasetKey, describeCursor, resumedConfig, resumeOf } from './resume';
import { runStage, scoreHeldOut, type StageContext, type StagePosition, type StageResume } from './stage';
import { PREFETCH_BATCHES } from './stage-feed';

export interface SessionInput {
  config: TrainConfigInput;
  dataset: DatasetSource;
  /** How messages name the dataset, e.g. its folder. */
  root: string;
  /** Files the caller already skipped while listing the folder. */
  skipped?: SkippedFile[];
  /** Continue from the sink's checkpoint instead of starting afresh. */
  resume?: boolean;
  /** Train with this batch size instead of the settings' (or the checkpoint's): after running out of memory. */
  batchSize?: number;
}

export interface SessionOptions {
  sink?: CheckpointSink;
  /** The store whose base cache downloads go to (none: every pretrained base is downloaded). */
  db?: () => Promise<FinetuneStore>;
  policy?: Partial<CheckpointPolicy>;
}

/** One fine-tuning run: decoded data, split, model, and the two stages; owns every tensor it makes. */
export class TrainingSession {
  readonly stages: StageResult[];
  /** Set by runFeatures(): the base with a fitted softmax regression instead of the recipe's head. */
  private featureModel: tf.LayersModel | null = null;
  private resume: StageResume | null;
  private readonly checkpointer: Checkpointer | null;

  private constructor(
    readonly config: EffectiveConfig,
    readonly prepared: PrepareResult,
    private readonly context: StageContext,
    private readonly headStart: number,
    private readonly key: string,
    checkpoint: Checkpoint | null,
    options: SessionOptions,
  ) {
    this.stages = checkpoint ? [...checkpoint.stages] : [];
    this.resume = checkpoint ? resumeOf(checkpoint, config.batchSize) : null;
    const policy = { ...DEFAULT_CHECKPOINT_POLICY, ...options.policy };
    this.checkpointer = options.sink
      ? new Checkpointer(options.sink, policy, (at) => this.snapshot(at), context.emit, context.control)
      : null;
    if (this.checkpointer) context.checkpoint = (at, boundary) => this.checkpointer!.at(at, boundary);
  }

  static async open(input: SessionInput, emit: TrainEventListener, options: SessionOptions = {}): Promise<TrainingSession> {
    const checkpoint = input.resume ? await options.sink?.load() : null;
    if (input.resume && !checkpoint) {
      throw new ConfigError(`nothing to resume: no checkpoint in ${options.sink?.label ?? 'this session (no checkpoint store given)'}`);
    }
    const requested = checkpoint ? resumedConfig(checkpoint, input.config) : resolveConfig(input.config);
    if (input.batchSize) requested.batchSize = input.batchSize;
    const [backend, finetuneBackend] = await selectBackends(requested.backend, requested.finetuneBackend);
    emit({ type: 'backend', choice: backend });
    if (finetuneBackend.backend !== backend.backend) emit({ type: 'backend', choice: finetuneBackend });
    const base = await loadBase(parseWeights(requested.weights), {
      seed: requested.seed,
      inputSize: requested.inputSize,
      preprocessing: requested.preprocessing,
      db: options.db,
      emit,
    });
    if (checkpoint && checkpoint.baseIdentity !== base.identity) {
      base.model.dispose();
      throw new WeightsError(`the base is not the one the checkpoint was trained from (${checkpoint.baseIdentity} then, ${base.identity} now)`);
    }
    // The base decides what the recipe's defaults left open: input size, preprocessing, where stage 2 starts.
    const config: Omit<EffectiveConfig, 'batchSize'> & Pick<TrainConfig, 'batchSize'> = {
      ...requested,
      inputSize: base.inputSize,
      preprocessing: base.preprocessing,
      unfreezeFrom: requested.unfreezeFrom === RECIPE_DEFAULTS.unfreezeFrom ? base.unfreezeFrom : requested.unfreezeFrom,
    };
    emit({ type: requested.weights === 'random' ? 'warning' : 'info', message: `base: ${base.label}` });
    emit({ type: 'info', message: `preprocessing: ${PREPROCESSING_LABEL[base.preprocessing]}` });
    emit({ type: 'info', message: `loading ${input.dataset.items.length} images from ${input.root} at ${config.inputSize}x${config.inputSize}...` });
    const skipped: SkippedFile[] = [...(input.skipped ?? [])];
    for (const file of skipped) emit({ type: 'skipped', file });
    const progress = {
      onProgress: (done: number, total: number) => emit({ type: 'decode-progress', done, total }),
      onSkipped: (file: SkippedFile) => {
        skipped.push(file);
        emit({ type: 'skipped', file });
      },
    };
    const data = await loadPixels(input.dataset, config.inputSize, input.root, progress, config.pixelBudgetMB * 2 ** 20).catch((error: unknown) => {
      base.model.dispose();
      throw error;
    });
    emit({ type: 'info', message: describePixels(data, config.pixelBudgetMB, PREFETCH_BATCHES) });
    const key = datasetKey(data);
    if (checkpoint && checkpoint.datasetKey !== key) {
      base.model.dispose();
      throw new DatasetError(
        `${input.root} is not the dataset the checkpoint was trained on (${checkpoint.datasetKey.split(':')[0]} images then, ` +
          `${data.paths.length} usable now, or other files): restore those files, or start a new run`,
      );
    }
    const split = splitStratified(Array.from(data.labels), data.classes.length, config.testFraction, config.seed);
    for (const c of split.untested) {
      emit({ type: 'warning', message: `class '${data.classes[c]}' has a single image: it is trained on but not in the report` });
    }
    const counts = data.classes.map((_, c) => data.labels.filter((l) => l === c).length);
    emit({ type: 'dataset', classes: data.classes, counts, train: split.train.length, test: split.test.length, skipped: skipped.length });

    const model = attachHead(base.model, { classes: data.classes.length, units: config.headUnits, dropout: config.dropout, seed: config.seed });
    let effective: EffectiveConfig;
    try {
      const from = requireBaseLayer(model, config.unfreezeFrom, base.model.layers.length);
      effective = { ...config, batchSize: config.batchSize === 'auto' ? await autoBatchSize(model, from, split.train.length, emit) : config.batchSize };
    } catch (error) {
      model.dispose();
      throw error;
    }
    const context = contextFor(model, data, split, effective, emit);
    if (checkpoint) {
      restoreModelWeights(model, checkpoint.weights, checkpoint.weightsFrom);
      context.shuffle.state = checkpoint.cursor.rng.shuffleAtEpochStart;
      context.augment.state = checkpoint.cursor.rng.augment;
      dropoutLayers(model).forEach((layer, i) => (layer.stream.state = checkpoint.cursor.rng.dropout[i]!));
      emit({ type: 'resumed', where: describeCursor(checkpoint.cursor), from: options.sink!.label });
    }
    const prepared: PrepareResult = {
      config: effective,
      base: { label: base.label, identity: base.identity },
      backend,
      finetuneBackend,
      classes: data.classes,
      counts,
      trainSize: split.train.length,
      testSize: split.test.length,
      skipped,
      layers: inspectLayers(model),
      testPaths: split.test.map((i) => data.paths[i]!),
      resumedAt: checkpoint ? describeCursor(checkpoint.cursor) : '',
      finished: checkpoint?.cursor.done ?? false,
    };
    return new TrainingSession(effective, prepared, context, base.model.layers.length, key, checkpoint ?? null, options);
  }

  get model(): tf.LayersModel {
    return this.context.model;
  }

  /** Pause, resume and cancel act between batches. */
  get control(): RunControl {
    return this.context.control;
  }

  /**
   * Stage 1 trains the head on the frozen base; stage 2 also unfreezes the base from `unfreezeFrom`.
   * A stage the resumed checkpoint already finished returns its stored result.
   */
  async trainStage(stage: 1 | 2): Promise<StageResult> {
    const finished = this.stages.find((s) => s.stage === stage);
    if (finished) return finished;
    if (stage === 2 && this.resume?.stage === 1) throw new ConfigError('stage 1 is unfinished: train it first');
    await this.useBackendOf(stage);
    const plan =
      stage === 1
        ? { stage, trainableFrom: this.headStart, settings: this.config.head }
        : { stage, trainableFrom: this.config.unfreezeFrom, settings: this.config.finetune };
    const resume = this.resume?.stage === stage ? this.resume : undefined;
    this.resume = null;
    const result = await runStage(this.context, plan, resume);
    this.stages.push(result);
    await this.checkpointer?.save('stage-end');
    return result;
  }

  /** Both stages in order; a stage with 0 epochs is skipped. */
  async runRecipe(): Promise<RecipeResult> {
    if (this.config.head.epochs > 0) await this.trainStage(1);
    if (this.config.finetune.epochs > 0) await this.trainStage(2);
    return { ...this.prepared, stages: this.stages };
  }

  /** Switches to the stage's backend; TF.js moves each weight over the first time a kernel reads it. */
  private async useBackendOf(stage: 1 | 2): Promise<void> {
    const { backend } = stage === 1 ? this.prepared.backend : this.prepared.finetuneBackend;
    const from = tf.getBackend();
    if (from === backend) return;
    const failure = await activate(backend);
    if (failure) throw new BackendError(`stage ${stage} cannot run on ${backend}: ${failure}`);
    this.context.emit({ type: 'info', message: `stage ${stage} runs on ${backend}: weights move over from ${from}` });
  }

  /** Everything needed to continue from `at` (or from the end of the last finished stage). */
  private async snapshot(at: StagePosition | 'stage-end'): Promise<Checkpoint> {
    const { model, shuffle, augment } = this.context;
    const lastStage = this.stages.at(-1)?.stage ?? 0;
    // Stage 1 only changes the head; from stage 2 on, the layers it unfreezes change too.
    const inStage2 = lastStage === 2 || (at !== 'stage-end' && at.stage === 2);
    const weightsFrom = inStage2 ? Math.min(this.headStart, layerIndex(model, this.config.unfreezeFrom)) : this.headStart;
    const stagesLeft = [1, 2].filter((s) => s > lastStage && (s === 1 ? this.config.head.epochs : this.config.finetune.epochs) > 0);
    const position =
      at === 'stage-end'
        ? { stage: (stagesLeft[0] ?? 2) as 1 | 2, epoch: 1, step: 0, lossSum: 0, accSum: 0, seconds: 0, shuffleAtEpochStart: shuffle.state, history: [] }
        : at;
    return {
      format: 1,
      createdAt: Date.now(),
      config: this.config,
      datasetKey: this.key,
      baseIdentity: this.prepared.base.identity,
      cursor: {
        stage: position.stage,
        epoch: position.epoch,
        step: position.step,
        lossSum: position.lossSum,
        accSum: position.accSum,
        seconds: position.seconds,
        rng: { shuffleAtEpochStart: position.shuffleAtEpochStart, augment: augment.state, dropout: dropoutLayers(model).map((l) => l.stream.state) },
        done: at === 'stage-end' && stagesLeft.length === 0,
      },
      stages: [...this.stages],
      history: [...position.history],
      weightsFrom,
      weights: await encodeModelWeights(model, weightsFrom),
      optimizer: at === 'stage-end' ? null : await encodeOptimizer(at.optimizer),
    };
  }

  /**
   * The feature-extraction baseline instead of the two stages: the frozen base runs once over every
   * image, and a softmax regression is fitted on the pooled features. export() then writes
   * base + pooling + that regression.
   */
  async runFeatures(settings: Partial<LogisticSettings> = {}): Promise<StageResult> {
    const { model, data, split, config, emit } = this.context;
    const started = performance.now();
    const base = prefixModel(model, this.headStart);
    emit({ type: 'info', message: `extracting features of ${split.train.length + split.test.length} images with the frozen base...` });
    const train = await pooledFeatures(base, data, split.train, config.batchSize, config.preprocessing);
    const test = split.test.length ? await pooledFeatures(base, data, split.test, config.batchSize, config.preprocessing) : null;
    const labels = (indices: number[]): number[] => indices.map((i) => data.labels[i]!);
    emit({ type: 'info', message: `training logistic regression on ${train.shape[0]} x ${train.shape[1]} features...` });
    const logistic = await fitLogistic(train, labels(split.train), data.classes.length, { ...LOGISTIC_DEFAULTS, seed: config.seed, ...settings });
    let result: StageResult = { stage: 1, history: [], report: null, confusion: null, misclassified: [], trainableFrom: this.headStart };
    if (test) {
      const predicted = tf.tidy(() => (logistic.predict(test) as tf.Tensor).argMax(1).dataSync() as Int32Array);
      result = { ...result, ...scoreHeldOut({ truth: labels(split.test), predicted }, split.test, data) };
    }
    this.disposeFeatureModel();
    this.featureModel = featureClassifier(base, logistic);
    emit({ type: 'features-end', result, classes: data.classes, features: train.shape[1], seconds: (performance.now() - started) / 1000 });
    tf.dispose([train, ...(test ? [test] : [])]);
    logistic.dispose();
    return result;
  }

  /** The `top` most likely classes of each image, from the trained model (or the features baseline's). */
  predict(images: { name: string; blob: Blob }[], top = 3): Promise<Prediction[]> {
    const { config, prepared } = this;
    return predictImages(this.featureModel ?? this.model, images, { inputSize: config.inputSize, preprocessing: config.preprocessing, classes: prepared.classes, top });
  }

  /** Moves stage 2's unfreeze point (by index or name) while stage 2 has not started. */
  setUnfreezeFrom(layer: number | string): number {
    if (this.stages.some((s) => s.stage === 2) || this.resume?.stage === 2) throw new ConfigError('stage 2 has started: its unfreeze point is fixed');
    const index = requireBaseLayer(this.model, layer, this.headStart);
    this.config.unfreezeFrom = index;
    return index;
  }

  fingerprints(): Promise<LayerFingerprint[]> {
    return fingerprintLayers(this.model);
  }

  export(): Promise<ExportedModel> {
    const { config, prepared } = this;
    return exportLayersModel(this.featureModel ?? this.model, {
      classes: prepared.classes,
      inputSize: config.inputSize,
      preprocessing: config.preprocessing,
      base: prepared.base.label,
      weights: config.weights,
      seed: config.seed,
    });
  }

  /** Disposing a model disposes every layer in it: only the layers the feature model adds are its own. */
  private disposeFeatureModel(): void {
    for (const layer of this.featureModel?.layers ?? []) if (!this.model.layers.includes(layer)) layer.dispose();
    this.featureModel = null;
  }

  dispose(): void {
    this.control.cancel();
    this.disposeFeatureModel();
    this.model.dispose();
  }
}

function contextFor(model: tf.LayersModel, data: PixelDataset, split: Split, config: EffectiveConfig, emit: TrainEventListener): StageContext {
  return {
    model,
    data,
    split,
    config,
    emit,
    control: new RunControl(),
    shuffle: streamFor(config.seed, 'shuffle'),
    augment: streamFor(config.seed, 'augment'),
  };
}
