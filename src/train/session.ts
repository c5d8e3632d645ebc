import * as tf from '@tensorflow/tfjs';
import { activate } from '../backend/select';
import { BackendError, ConfigError } from '../errors';
import { exportLayersModel } from '../model/export';
import { setBatchNormTraining } from '../model/batch-norm';
import { swapHead } from '../model/head';
import { fingerprintLayers, inspectLayers, requireBaseLayer } from '../model/layers';
import type { EffectiveConfig, ExportedModel, HeadKind, LayerFingerprint, Prediction, PrepareResult, RecipeResult, StageResult, TrainEventListener } from '../protocol';
import { encodeModelWeights } from './weight-codec';
import type { Checkpoint, EncodedWeights } from '../checkpoint/format';
import { Checkpointer, DEFAULT_CHECKPOINT_POLICY } from './checkpointer';
import type { RunControl } from './control';
import { runFeatureBaseline, type LogisticSettings } from './features';
import { predictImages } from './predict';
import { describeCursor, stage1HeadOf } from './resume';
import { runStage, type StageResume } from './stage';
import { snapshotRun } from './snapshot';
import type { StageContext, StagePosition } from './stage-types';
import { assembleSession, type SessionInput, type SessionOptions, type SessionParts } from './assemble-session';

/**
 * One fine-tuning run: decoded data, split, model, and the two stages; owns every tensor it makes. Its
 * parts are put together by assembleSession(); this is what then trains, predicts and exports with them.
 */
export class TrainingSession {
  readonly prepared: PrepareResult;
  readonly stages: StageResult[];
  /** Set by runFeatures(): the base with a fitted softmax regression instead of the recipe's head. */
  private featureModel: tf.LayersModel | null = null;
  private readonly context: StageContext;
  /** The base alone, which replaceHead() puts a new head on. */
  private readonly base: tf.LayersModel;
  /** The decoded dataset's identity, kept in checkpoints. */
  private readonly key: string;
  private resume: StageResume | null;
  private readonly checkpointer: Checkpointer | null;
  /** The head stage 1 kept, once it is done: where stage 2 starts from (with the base), kept in checkpoints. */
  private stage1Head: EncodedWeights | null;

  private constructor(parts: SessionParts, options: SessionOptions) {
    const { prepared, context, base, datasetKey, checkpoint, resume } = parts;
    this.prepared = prepared;
    this.context = context;
    this.base = base;
    this.key = datasetKey;
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
    const session = new TrainingSession(await assembleSession(input, emit, options), options);
    session.context.head.replace = (kind) => session.replaceHead(kind);
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
