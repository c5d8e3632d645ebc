import * as tf from '@tensorflow/tfjs';
import { activate, selectBackends } from '../backend/select';
import { planWasmThreads } from '../backend/wasm-threads';
import { resolveConfig, type TrainConfigInput } from '../config';
import type { PixelDataset } from '../data/load';
import { PREPROCESSING_LABEL } from '../data/preprocess';
import type { Split } from '../data/split';
import { BackendError, ConfigError, WeightsError } from '../errors';
import { exportLayersModel } from '../model/export';
import { setBatchNormTraining } from '../model/batch-norm';
import { attachHead, swapHead, type HeadOptions } from '../model/head';
import { fingerprintLayers, inspectLayers, requireBaseLayer } from '../model/layers';
import { loadBase } from '../model/base';
import type { LoadedBase } from '../model/loaded-base';
import { parseWeights } from '../model/base-source';
import type { FinetuneStore } from '../store/schema';
import type {
  DatasetSource,
  EffectiveConfig,
  ExportedModel,
  HeadKind,
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
import { encodeModelWeights } from './weight-codec';
import type { Checkpoint, CheckpointSink, EncodedWeights } from '../checkpoint/format';
import { Checkpointer, DEFAULT_CHECKPOINT_POLICY, type CheckpointPolicy } from './checkpointer';
import { RunControl } from './control';
import { runFeatureBaseline, type LogisticSettings } from './features';
import { predictImages } from './predict';
import { autoBatchSize } from './auto-batch';
import { describeCursor, restoreCheckpoint, resumedConfig, resumeOf, stage1HeadOf, type CheckpointResume } from './resume';
import { runStage } from './stage';
import { snapshotRun } from './snapshot';
import type { StageContext, StagePosition } from './stage-types';
import { loadRunData } from './run-data';

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

/** The base's defaults laid over what the user left open: input size, preprocessing, stage 2's first layer. */
function settledConfig(requested: TrainConfig, base: LoadedBase, emit: TrainEventListener): Omit<EffectiveConfig, 'batchSize'> & Pick<TrainConfig, 'batchSize'> {
  const unfreezeFrom = requested.unfreezeFrom === 'auto' ? base.unfreezeFrom : requested.unfreezeFrom;
  if (requested.unfreezeFrom === 'auto') emit({ type: 'info', message: `stage 2 unfreezes from ${base.unfreezeWhy}` });
  return { ...requested, inputSize: base.inputSize, preprocessing: base.preprocessing, unfreezeFrom };
}

/** One fine-tuning run: decoded data, split, model, and the two stages; owns every tensor it makes. */
export class TrainingSession {
  readonly stages: StageResult[];
  /** Set by runFeatures(): the base with a fitted softmax regression instead of the recipe's head. */
  private featureModel: tf.LayersModel | null = null;
  private resume: (CheckpointResume & { startWeights: tf.Tensor[] }) | null;
  private readonly checkpointer: Checkpointer | null;
  /** The head stage 1 kept, once it is done: where stage 2 starts from (with the base), kept in checkpoints. */
  private stage1Head: EncodedWeights | null;

  private constructor(
    readonly prepared: PrepareResult,
    private readonly context: StageContext,
    private readonly base: tf.LayersModel,
    private readonly key: string,
    checkpoint: Checkpoint | null,
    resume: (CheckpointResume & { startWeights: tf.Tensor[] }) | null,
    options: SessionOptions,
  ) {
    this.stages = checkpoint ? checkpoint.stages : [];
    this.resume = resume;
    this.stage1Head = checkpoint ? stage1HeadOf(checkpoint, prepared.headStart) : null;
    const policy = { ...DEFAULT_CHECKPOINT_POLICY, ...options.policy };
    this.checkpointer = options.sink
      ? new Checkpointer(options.sink, policy, (at) => this.snapshot(at), context.emit, context.control)
      : null;
    if (this.checkpointer) {
      context.checkpoint = (at, boundary) => this.checkpointer!.at(at, boundary);
      context.saveNow = (at) => this.checkpointer!.save(at);
    }
    if (checkpoint) this.checkpointer?.resumedFrom(describeCursor(checkpoint.cursor));
  }

  static async open(input: SessionInput, emit: TrainEventListener, options: SessionOptions = {}): Promise<TrainingSession> {
    const checkpoint = input.resume ? await options.sink?.load() : null;
    if (input.resume && !checkpoint) {
      throw new ConfigError(`nothing to resume: no checkpoint in ${options.sink?.label ?? 'this session (no checkpoint store given)'}`);
    }
    const requested = checkpoint ? resumedConfig(checkpoint, input.config) : resolveConfig(input.config);
    if (input.batchSize) requested.batchSize = input.batchSize;
    const threadsNote = planWasmThreads(requested.threads);
    if (threadsNote) emit({ type: 'warning', message: threadsNote });
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
    emit({ type: requested.weights === 'random' ? 'warning' : 'info', message: `base: ${base.label}` });
    const config = settledConfig(requested, base, emit);
    emit({ type: 'info', message: `preprocessing: ${PREPROCESSING_LABEL[base.preprocessing]}` });
    const { data, split, counts, skipped, key } = await loadRunData(input.dataset, input.root, input.skipped ?? [], config, checkpoint ? checkpoint.datasetKey : null, emit).catch((error: unknown) => {
      base.model.dispose();
      throw error;
    });
    const headOptions: Omit<HeadOptions, 'kind'> = { classes: data.classes.length, units: config.headUnits, dropout: config.dropout, seed: config.seed };
    // Until stage 1's search picks one, 'auto' builds the base's first kind (the recipe's flatten head).
    const headKind: HeadKind = config.headKind === 'auto' ? base.heads[0]! : config.headKind;
    const model = attachHead(base.model, { ...headOptions, kind: headKind });
    setBatchNormTraining(model, config.bnTrain);
    const headStart = base.model.layers.length;
    let effective: EffectiveConfig;
    try {
      const from = requireBaseLayer(model, config.unfreezeFrom, headStart);
      effective = { ...config, batchSize: config.batchSize === 'auto' ? await autoBatchSize(model, from, split.train.length, emit) : config.batchSize };
    } catch (error) {
      model.dispose();
      throw error;
    }
    const context = contextFor(model, data, split, effective, emit);
    context.head = { kind: headKind, kinds: config.headKind === 'auto' ? base.heads : [config.headKind], options: headOptions, replace: () => undefined };
    const resume = checkpoint ? resumeOf(checkpoint, effective.batchSize) : null;
    let startWeights: tf.Tensor[] = [];
    try {
      if (checkpoint) startWeights = restoreCheckpoint(context, checkpoint, resume, headStart);
    } catch (error) {
      model.dispose(); // a checkpoint that does not fit this model: nothing of the run is kept
      throw error;
    }
    if (checkpoint) emit({ type: 'resumed', where: describeCursor(checkpoint.cursor), from: options.sink!.label });
    const prepared: PrepareResult = {
      config: effective,
      base: { label: base.label, identity: base.identity },
      backend,
      finetuneBackend,
      classes: data.classes,
      counts,
      trainSize: split.train.length,
      validationSize: split.validation.length,
      testSize: split.test.length,
      headStart,
      skipped,
      layers: inspectLayers(model),
      testPaths: split.test.map((i) => data.paths[i]!),
      resumedAt: checkpoint ? describeCursor(checkpoint.cursor) : '',
      finished: checkpoint?.cursor.done ?? false,
    };
    const session = new TrainingSession(prepared, context, base.model, key, checkpoint ?? null, resume && { ...resume, startWeights }, options);
    context.head.replace = (kind) => session.replaceHead(kind);
    return session;
  }

  get model(): tf.LayersModel {
    return this.context.model;
  }

  private get headStart(): number {
    return this.prepared.headStart;
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
    // Stage 2 starts from the head stage 1 kept; with no stage 1, from the head as built.
    if (stage === 2) this.stage1Head ??= await encodeModelWeights(this.model, this.headStart);
    const result = await runStage(this.context, plan, resume);
    this.stages.push(result);
    if (stage === 1) this.stage1Head = await encodeModelWeights(this.model, this.headStart);
    await this.checkpointer?.save('stage-end');
    return result;
  }

  /** Both stages in order; a stage with 0 epochs is skipped. */
  async runRecipe(): Promise<RecipeResult> {
    if (this.config.head.epochs > 0) await this.trainStage(1);
    if (this.config.finetune.epochs > 0) await this.trainStage(2);
    return { ...this.prepared, stages: this.stages };
  }

  /** Puts a new head of `kind` on the base (stage 1, when its search picks another kind than the one built). */
  private replaceHead(kind: HeadKind): void {
    const model = swapHead(this.context.model, this.base, { ...this.context.head.options, kind });
    setBatchNormTraining(model, this.config.bnTrain);
    this.context.model = model;
    this.context.head.kind = kind;
    this.reconfigure({ headKind: kind });
    this.prepared.layers = inspectLayers(model);
    this.context.emit({ type: 'info', message: `stage 1: the head is now the ${kind} head (${model.layers.slice(this.headStart).map((l) => l.name).join(', ')})` });
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
  private snapshot(at: StagePosition | 'stage-end'): Promise<Checkpoint> {
    const { config, key, prepared, stages, stage1Head } = this;
    return snapshotRun({ context: this.context, config, datasetKey: key, baseIdentity: prepared.base.identity, headStart: this.headStart, stages, stage1Head }, at);
  }

  /**
   * The feature-extraction baseline instead of the two stages: the frozen base runs once over every
   * image, and a softmax regression is fitted on the pooled features. export() then writes
   * base + pooling + that regression.
   */
  async runFeatures(settings: Partial<LogisticSettings> = {}): Promise<StageResult> {
    const { result, model } = await runFeatureBaseline(this.context, this.headStart, settings);
    this.disposeFeatureModel();
    this.featureModel = model;
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
    this.reconfigure({ unfreezeFrom: index });
    return index;
  }

  /** The settings the run trains with: its stage context's, which the stages read as they go. */
  get config(): EffectiveConfig {
    return this.context.config;
  }

  /** Settles a setting the run decided (the head its search picked, a moved stage-2 layer): a new config for the stages, checkpoints and plan alike. */
  private reconfigure(change: Partial<EffectiveConfig>): void {
    this.context.config = { ...this.context.config, ...change };
    this.prepared.config = this.context.config;
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
    tf.dispose(this.resume?.startWeights ?? []);
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
    head: { kind: 'flatten', kinds: ['flatten'], options: { classes: data.classes.length, units: config.headUnits, dropout: config.dropout, seed: config.seed }, replace: () => undefined },
    control: new RunControl(emit),
    shuffle: streamFor(config.seed, 'shuffle'),
    augment: streamFor(config.seed, 'augment'),
  };
}
