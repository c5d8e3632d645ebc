import * as tf from '@tensorflow/tfjs';
import { activate, selectBackends } from '../backend/select';
import { resolveConfig, type TrainConfigInput } from '../config';
import { BackendError } from '../errors';
import { loadPixels, type PixelDataset } from '../data/load';
import { PREPROCESSING_LABEL } from '../data/preprocess';
import { splitStratified, type Split } from '../data/split';
import { exportLayersModel } from '../model/export';
import { attachHead } from '../model/head';
import { fingerprintLayers, inspectLayers } from '../model/layers';
import { buildVgg16 } from '../model/vgg16';
import type {
  DatasetSource,
  ExportedModel,
  LayerFingerprint,
  PrepareResult,
  RecipeResult,
  SkippedFile,
  StageResult,
  TrainConfig,
  TrainEventListener,
} from '../protocol';
import { streamFor } from '../rng';
import { RunControl } from './control';
import { runStage, type StageContext } from './stage';

export interface SessionInput {
  config: TrainConfigInput;
  dataset: DatasetSource;
  /** How messages name the dataset, e.g. its folder. */
  root: string;
  /** Files the caller already skipped while listing the folder. */
  skipped?: SkippedFile[];
}

/** One fine-tuning run: decoded data, split, model, and the two stages; owns every tensor it makes. */
export class TrainingSession {
  readonly stages: StageResult[] = [];
  private constructor(
    readonly config: TrainConfig,
    readonly prepared: PrepareResult,
    private readonly context: StageContext,
    private readonly headStart: number,
  ) {}

  static async open(input: SessionInput, emit: TrainEventListener): Promise<TrainingSession> {
    const config = resolveConfig(input.config);
    const [backend, finetuneBackend] = await selectBackends(config.backend, config.finetuneBackend);
    emit({ type: 'backend', choice: backend });
    if (finetuneBackend.backend !== backend.backend) emit({ type: 'backend', choice: finetuneBackend });
    if (config.weights === 'random') {
      emit({ type: 'warning', message: 'the base is NOT pretrained: VGG16 starts from seeded random weights (--weights random)' });
    }
    emit({ type: 'info', message: `preprocessing: ${PREPROCESSING_LABEL[config.preprocessing]}` });
    emit({ type: 'info', message: `loading ${input.dataset.items.length} images from ${input.root} at ${config.inputSize}x${config.inputSize}...` });
    const skipped: SkippedFile[] = [...(input.skipped ?? [])];
    for (const file of skipped) emit({ type: 'skipped', file });
    const data = await loadPixels(input.dataset, config.inputSize, input.root, {
      onProgress: (done, total) => emit({ type: 'decode-progress', done, total }),
      onSkipped: (file) => {
        skipped.push(file);
        emit({ type: 'skipped', file });
      },
    });
    const split = splitStratified(Array.from(data.labels), data.classes.length, config.testFraction, config.seed);
    for (const c of split.untested) {
      emit({ type: 'warning', message: `class '${data.classes[c]}' has a single image: it is trained on but not in the report` });
    }
    const counts = data.classes.map((_, c) => data.labels.filter((l) => l === c).length);
    emit({ type: 'dataset', classes: data.classes, counts, train: split.train.length, test: split.test.length, skipped: skipped.length });

    const base = buildVgg16({ inputSize: config.inputSize, init: { seed: config.seed } });
    const model = attachHead(base, { classes: data.classes.length, units: config.headUnits, dropout: config.dropout, seed: config.seed });
    const prepared: PrepareResult = {
      backend,
      finetuneBackend,
      classes: data.classes,
      counts,
      trainSize: split.train.length,
      testSize: split.test.length,
      skipped,
      layers: inspectLayers(model),
    };
    return new TrainingSession(config, prepared, contextFor(model, data, split, config, emit), base.layers.length);
  }

  get model(): tf.LayersModel {
    return this.context.model;
  }

  /** Pause, resume and cancel act between batches. */
  get control(): RunControl {
    return this.context.control;
  }

  /** Stage 1 trains the head on the frozen base; stage 2 also unfreezes the base from `unfreezeFrom`. */
  async trainStage(stage: 1 | 2): Promise<StageResult> {
    await this.useBackendOf(stage);
    const plan =
      stage === 1
        ? { stage, trainableFrom: this.headStart, settings: this.config.head }
        : { stage, trainableFrom: this.config.unfreezeFrom, settings: this.config.finetune };
    const result = await runStage(this.context, plan);
    this.stages.push(result);
    return result;
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

  /** Both stages in order; a stage with 0 epochs is skipped. */
  async runRecipe(): Promise<RecipeResult> {
    if (this.config.head.epochs > 0) await this.trainStage(1);
    if (this.config.finetune.epochs > 0) await this.trainStage(2);
    return { ...this.prepared, stages: this.stages };
  }

  fingerprints(): Promise<LayerFingerprint[]> {
    return fingerprintLayers(this.model);
  }

  export(): Promise<ExportedModel> {
    const { config, prepared } = this;
    return exportLayersModel(this.model, {
      classes: prepared.classes,
      inputSize: config.inputSize,
      preprocessing: config.preprocessing,
      base: 'vgg16',
      weights: config.weights,
      seed: config.seed,
    });
  }

  dispose(): void {
    this.control.cancel();
    this.model.dispose();
  }
}

function contextFor(model: tf.LayersModel, data: PixelDataset, split: Split, config: TrainConfig, emit: TrainEventListener): StageContext {
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
