import * as tf from '@tensorflow/tfjs';
import { epochBatches, stepsPerEpoch } from '../data/batches';
import type { EpochMetrics } from '../protocol';
import type { SeededRandom } from '../rng';
import type { RunControl } from './control';
import { evaluate, type Evaluation } from './evaluate';
import { PREFETCH_BATCHES, type LoopPosition, type StageFeed } from './stage-types';
import { PendingMetrics, trainStep } from './train-step';

export interface EpochLoop {
  stage: 1 | 2;
  /** Compiled with its optimizer; takes the feed's batches. */
  model: tf.LayersModel;
  feed: StageFeed;
  /** Images trained on, and images scored after each epoch (none: no validation). */
  images: readonly number[];
  scored: readonly number[];
  labels: Int32Array;
  batchSize: number;
  epochs: number;
  shuffle: SeededRandom;
  control: RunControl;
  /** Picks up here (a checkpoint's position) instead of at epoch 1. */
  from?: LoopPosition;
  /** Running means of the epoch in progress, whenever they are read (a few times a second). */
  onBatch?(epoch: number, step: number, steps: number, loss: number, acc: number): void;
  /** Where the loop stands, in words, when a pause stops it ('in stage 1, epoch 2, before batch 3/10'). */
  pausedAt?(epoch: number, step: number, steps: number): string;
  /** After every batch but an epoch's last; `at` reads the metrics still on the device, only when called. */
  afterBatch?(at: () => Promise<LoopPosition>): Promise<void>;
  /** Cancelled with leave to save first (RunControl.cancel(true)): where the loop stands, before it throws. */
  onStop?(at: LoopPosition): Promise<void>;
  /**
   * After each epoch: go on, stop (early), or stop as diverged. `history` holds every epoch so far, this
   * one last; `next` is where the following epoch starts (null after the last).
   */
  afterEpoch(metrics: EpochMetrics, history: readonly EpochMetrics[], next: LoopPosition | null, scored: Evaluation | null): Promise<EpochVerdict>;
  /** Memory and data figures for the epoch's metrics. */
  memory(): Pick<EpochMetrics, 'numTensors' | 'tensorBytes' | 'dataBytes'>;
}

export type EpochVerdict = 'go' | 'stop' | { diverged: string };

export type LoopOutcome = { kind: 'done' | 'stopped'; history: EpochMetrics[] } | { kind: 'diverged'; history: EpochMetrics[]; reason: string };

/**
 * The recipe's epochs: a seeded shuffle, floor(n / batch) steps, the scored images evaluated after each
 * epoch. A non-finite loss ends the loop at once as diverged; pause and cancel act between batches.
 */
export async function runEpochs(loop: EpochLoop): Promise<LoopOutcome> {
  const { stage, model, feed, control, from } = loop;
  const steps = stepsPerEpoch(loop.images.length, loop.batchSize);
  const history: EpochMetrics[] = from ? [...from.history] : [];
  const pending = new PendingMetrics();
  try {
    for (let epoch = from?.epoch ?? 1; epoch <= loop.epochs; epoch++) {
      const resuming = from !== undefined && epoch === from.epoch;
      if (resuming) loop.shuffle.state = from.shuffleAtEpochStart;
      const shuffleAtEpochStart = loop.shuffle.state;
      const batches = epochBatches(loop.images, loop.batchSize, loop.shuffle);
      const priorSeconds = resuming ? from.seconds : 0;
      const started = performance.now();
      let lossSum = resuming ? from.lossSum : 0;
      let accSum = resuming ? from.accSum : 0;
      let stepsRead = resuming ? from.step : 0;
      let nonFinite: number | null = null;
      const at = (step: number): LoopPosition => ({ stage, epoch, step, lossSum, accSum, seconds: priorSeconds + (performance.now() - started) / 1000, shuffleAtEpochStart, history });
      const readMetrics = async (): Promise<void> => {
        const values = await pending.read();
        if (!values.length) return;
        for (const [loss, acc] of values) {
          if (!Number.isFinite(loss!)) nonFinite ??= loss!;
          lossSum += loss!;
          accSum += acc!;
        }
        stepsRead += values.length;
        loop.onBatch?.(epoch, stepsRead, steps, lossSum / stepsRead, accSum / stepsRead);
      };
      for (let step = resuming ? from.step : 0; step < batches.length; step++) {
        if (control.isPaused) await readMetrics(); // a paused run shows where it stands
        try {
          await control.between(() => loop.pausedAt?.(epoch, step, steps) ?? '');
        } catch (error) {
          if (control.saveBeforeStop && loop.onStop) await readMetrics().then(() => loop.onStop!(at(step)));
          throw error;
        }
        const { xs, ys } = await feed.trainBatch(batches[step]!, epoch);
        feed.prefetch(batches.slice(step + 1, step + 1 + PREFETCH_BATCHES)); // read while this one trains
        try {
          pending.add(await trainStep(model, xs, ys));
        } finally {
          tf.dispose([xs, ys]);
        }
        const last = step + 1 === batches.length;
        if (last || pending.due) await readMetrics();
        if (nonFinite !== null) return { kind: 'diverged', history, reason: `the loss became ${nonFinite} in epoch ${epoch}, batch ${stepsRead}` };
        if (!last) await loop.afterBatch?.(async () => (await readMetrics(), at(step + 1)));
      }
      const seconds = at(batches.length).seconds;
      const scored = loop.scored.length ? await evaluate(model, loop.scored, loop.batchSize, feed.heldBatch, loop.labels) : null;
      const metrics: EpochMetrics = {
        stage,
        epoch,
        epochs: loop.epochs,
        seconds,
        loss: lossSum / batches.length,
        acc: accSum / batches.length,
        valLoss: scored?.loss ?? null,
        valAcc: scored?.accuracy ?? null,
        ...loop.memory(),
      };
      history.push(metrics);
      const next: LoopPosition | null =
        epoch < loop.epochs ? { stage, epoch: epoch + 1, step: 0, lossSum: 0, accSum: 0, seconds: 0, shuffleAtEpochStart: loop.shuffle.state, history } : null;
      const verdict = await loop.afterEpoch(metrics, history, next, scored);
      if (verdict === 'stop') return { kind: 'stopped', history };
      if (verdict !== 'go') return { kind: 'diverged', history, reason: verdict.diverged };
    }
    return { kind: 'done', history };
  } finally {
    pending.dispose();
  }
}
