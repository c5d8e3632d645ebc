import type { EffectiveConfig, StageResult } from '../protocol';
import { layerIndex } from '../model/layers';
import { CHECKPOINT_FORMAT, type Checkpoint, type EncodedWeights } from '../checkpoint/format';
import { encodeModelWeights, encodeOptimizer } from './weight-codec';
import type { StageContext, StagePosition } from './stage-types';
import { dropoutStates } from './stage-settings';

/** What a checkpoint is made of besides the stage loop's position. */
export interface RunState {
  context: StageContext;
  config: EffectiveConfig;
  datasetKey: string;
  baseIdentity: string;
  headStart: number;
  /** Finished stages. */
  stages: readonly StageResult[];
  stage1Head: EncodedWeights | null;
}

/** Everything needed to continue a run from `at` (or from the end of the last finished stage). */
export async function snapshotRun(run: RunState, at: StagePosition | 'stage-end'): Promise<Checkpoint> {
  const { context, config, headStart } = run;
  const { model, shuffle, augment } = context;
  const lastStage = run.stages.at(-1)?.stage ?? 0;
  // Stage 1 only changes the head; from stage 2 on, the layers it unfreezes change too.
  const inStage2 = lastStage === 2 || (at !== 'stage-end' && at.stage === 2);
  const weightsFrom = inStage2 ? Math.min(headStart, layerIndex(model, config.unfreezeFrom)) : headStart;
  const stagesLeft = [1, 2].filter((s) => s > lastStage && (s === 1 ? config.head.epochs : config.finetune.epochs) > 0);
  const position =
    at === 'stage-end'
      ? { stage: (stagesLeft[0] ?? 2) as 1 | 2, epoch: 1, step: 0, lossSum: 0, accSum: 0, seconds: 0, shuffleAtEpochStart: shuffle.state, history: [] }
      : at;
  return {
    format: CHECKPOINT_FORMAT,
    createdAt: Date.now(),
    config,
    datasetKey: run.datasetKey,
    baseIdentity: run.baseIdentity,
    cursor: {
      stage: position.stage,
      epoch: position.epoch,
      step: position.step,
      lossSum: position.lossSum,
      accSum: position.accSum,
      seconds: position.seconds,
      rng: { shuffleAtEpochStart: position.shuffleAtEpochStart, augment: augment.state, dropout: dropoutStates(model) },
      done: at === 'stage-end' && stagesLeft.length === 0,
    },
    stages: [...run.stages],
    history: [...position.history],
    weightsFrom,
    weights: await encodeModelWeights(model, weightsFrom),
    optimizer: at === 'stage-end' ? null : await encodeOptimizer(at.optimizer),
    progress: at === 'stage-end' ? null : { settings: at.settings, startStreams: at.startStreams, best: await at.best.checkpoint() },
    stage1Head: run.stage1Head,
  };
}
