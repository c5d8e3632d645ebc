import type * as tf from '@tensorflow/tfjs';
import { selectBackends } from '../backend/select';
import { planWasmThreads } from '../backend/wasm-threads';
import { resolveConfig, type TrainConfigInput } from '../config';
import type { PixelDataset } from '../data/load';
import { PREPROCESSING_LABEL } from '../data/preprocess';
import type { Split } from '../data/split';
import { ConfigError, WeightsError } from '../errors';
import { setBatchNormTraining } from '../model/batch-norm';
import { attachHead, type HeadOptions } from '../model/head';
import { inspectLayers, requireBaseLayer } from '../model/layers';
import { loadBase } from '../model/base';
import type { LoadedBase } from '../model/loaded-base';
import { parseWeights } from '../model/base-source';
import type { FinetuneStore } from '../store/schema';
import type { DatasetSource, EffectiveConfig, HeadKind, PrepareResult, SkippedFile, TrainConfig, TrainEventListener } from '../protocol';
import { streamFor } from '../rng';
import type { Checkpoint, CheckpointSink } from '../checkpoint/format';
import type { CheckpointPolicy } from './checkpointer';
import { RunControl } from './control';
import { autoBatchSize } from './auto-batch';
import { describeCursor, restoreCheckpoint, resumedConfig, resumeOf } from './resume';
import type { StageResume } from './stage';
import type { StageContext } from './stage-types';
import { loadRunData } from './run-data';

// Everything a training session starts from, put together in order: its settings (or its checkpoint's),
// the backends, the base, the decoded and split data, the model with its head, the batch size, and the
// checkpoint's weights. Apart from the session, which is what then runs on these parts, so that each
// reads on its own: this file is the one place where a failure halfway frees what was made so far.

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

/** A session's parts, ready to train: every tensor made so far is the model's (in `context`) or `resume`'s. */
export interface SessionParts {
  prepared: PrepareResult;
  context: StageContext;
  /** The base alone, which a new head is put on when stage 1's search picks another kind. */
  base: tf.LayersModel;
  /** The decoded dataset's identity, kept in checkpoints. */
  datasetKey: string;
  checkpoint: Checkpoint | null;
  /** Where the checkpoint's stage in progress stands, with the weights that stage started from. */
  resume: StageResume | null;
}

/** The base's defaults laid over what the user left open: input size, preprocessing, stage 2's first layer. */
function settledConfig(requested: TrainConfig, base: LoadedBase, emit: TrainEventListener): Omit<EffectiveConfig, 'batchSize'> & Pick<TrainConfig, 'batchSize'> {
  const unfreezeFrom = requested.unfreezeFrom === 'auto' ? base.unfreezeFrom : requested.unfreezeFrom;
  if (requested.unfreezeFrom === 'auto') emit({ type: 'info', message: `stage 2 unfreezes from ${base.unfreezeWhy}` });
  return { ...requested, inputSize: base.inputSize, preprocessing: base.preprocessing, unfreezeFrom };
}

/** Puts a session's parts together, or frees what it made and throws. */
export async function assembleSession(input: SessionInput, emit: TrainEventListener, options: SessionOptions): Promise<SessionParts> {
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
  return { prepared, context, base: base.model, datasetKey: key, checkpoint: checkpoint ?? null, resume: resume && { ...resume, startWeights } };
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
