import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainEvent } from '../../src/protocol';
import { convBase, stageRun, syntheticData, trainFinetune, trainHead, weightValues } from '../fixtures/stage-run';

// A base whose features are in the hundreds (a hot base, as a pretrained one's dense activations can
// be) makes RMSprop at the recipe's 1e-3 blow the head up within an epoch; a cool one trains at any rate.
const hot = () => convBase({ scale: 300, pool: 2, filters: 16 });
const SIX_CLASSES = () => syntheticData(6);
const PINNED = { epochs: 6, learningRate: 1e-3, optimizer: 'rmsprop' } as const;

const ofType = <T extends TrainEvent['type']>(events: TrainEvent[], type: T) => events.filter((e): e is Extract<TrainEvent, { type: T }> => e.type === type);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('stage 1 on a base whose features make the recipe rate diverge', () => {
  it('the guard stops the stage, restores its start and restarts it at a tenth of the rate, saying so', async () => {
    const run = stageRun(hot(), SIX_CLASSES(), { headKind: 'flatten', head: PINNED, patience: null });
    const before = tf.memory().numTensors;
    const result = await trainHead(run);
    const restarts = ofType(run.events, 'stage-restart');
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toMatchObject({ stage: 1, learningRate: 1e-4, restarts: 1 });
    expect(restarts[0]!.reason).toMatch(/the loss stayed above 3\.58 \(twice a uniform guess's 1\.79\) for 2 epochs/);
    expect(result.settings).toMatchObject({ learningRate: 1e-4, restarts: 1, search: null });
    // The restarted stage is a whole stage: its own 6 epochs, starting again from a uniform guess.
    expect(result.history.map((m) => m.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(result.history[0]!.loss).toBeLessThan(2 * Math.log(6));
    expect(result.report!.accuracy).toBeGreaterThan(0.8);
    expect(tf.memory().numTensors).toBe(before);
    run.dispose();
  });

  it("'auto' measures a rate that trains instead: the recipe's diverges in its trial, a lower one wins", async () => {
    const run = stageRun(hot(), SIX_CLASSES(), { headKind: 'flatten', head: { ...PINNED, learningRate: 'auto' }, patience: null });
    const result = await trainHead(run);
    const search = result.settings.search!;
    expect(search.trials[0]).toMatchObject({ learningRate: 1e-3, diverged: true });
    expect(result.settings.learningRate).toBeLessThan(1e-3);
    expect(search.trials.find((t) => t.learningRate === result.settings.learningRate)!.diverged).toBe(false);
    expect(ofType(run.events, 'stage-restart')).toHaveLength(0);
    expect(ofType(run.events, 'search')[0]!.chosen.learningRate).toBe(result.settings.learningRate);
    expect(result.report!.accuracy).toBeGreaterThan(0.8);
    run.dispose();
  });

  it('gives up after two restarts with a message naming the stage, the rate and what to try', async () => {
    const run = stageRun(hot(), SIX_CLASSES(), { headKind: 'flatten', head: { ...PINNED, learningRate: 1 }, patience: null });
    await expect(trainHead(run)).rejects.toThrow(/^stage 1 diverged at learning rate 1e-2 \(.+\), after 2 restart\(s\) at a tenth of the rate: set a lower rate \(--head-lr\), or 'auto'/);
    expect(ofType(run.events, 'stage-restart').map((e) => e.learningRate)).toEqual([0.1, 0.01]);
    run.dispose();
  });
});

describe('a pinned rate and head', () => {
  it('are used as given: no search, the stage starts at that rate', async () => {
    const run = stageRun(convBase(), syntheticData(), { headKind: 'flatten', head: { ...PINNED, learningRate: 3e-4 } });
    const result = await trainHead(run);
    expect(ofType(run.events, 'search')).toHaveLength(0);
    expect(ofType(run.events, 'stage-start')[0]).toMatchObject({ learningRate: 3e-4, optimizer: 'rmsprop' });
    expect(result.settings).toEqual({ learningRate: 3e-4, head: 'flatten', restarts: 0, search: null });
    run.dispose();
  });
});

describe('best epochs', () => {
  it("stage 1 ends with its best validation epoch's weights, bit for bit", async () => {
    const run = stageRun(convBase(), SIX_CLASSES(), { headKind: 'flatten', head: { epochs: 12, learningRate: 1e-2, optimizer: 'rmsprop' }, patience: null });
    const atEpoch = new Map<number, Float32Array[]>();
    const emit = run.ctx.emit;
    run.ctx.emit = (event) => {
      if (event.type === 'epoch') atEpoch.set(event.metrics.epoch, weightValues(run.ctx.model, run.headStart));
      return emit(event);
    };
    const result = await trainHead(run);
    const best = result.best!;
    const losses = result.history.map((m) => m.valLoss!);
    expect(best.valLoss).toBe(Math.min(...losses));
    expect(best.epoch).toBeLessThan(12); // this rate overshoots at the end: the last epoch is not the best
    expect(weightValues(run.ctx.model, run.headStart)).toEqual(atEpoch.get(best.epoch));
    run.dispose();
  });

  it('stage 2 that ends below stage 1 keeps and reports stage 1\'s model, and says so', async () => {
    const run = stageRun(convBase(), syntheticData(), {
      headKind: 'flatten',
      head: { epochs: 6, learningRate: 3e-3, optimizer: 'rmsprop' },
      finetune: { epochs: 2, learningRate: 0.4, optimizer: 'sgd' },
      patience: null,
    });
    const stage1 = await trainHead(run);
    const kept = weightValues(run.ctx.model, 2);
    const result = await trainFinetune(run);
    expect(result.history.every((m) => m.valLoss! > stage1.best!.valLoss)).toBe(true);
    expect(result.best).toEqual({ epoch: 0, valAcc: stage1.best!.valAcc, valLoss: stage1.best!.valLoss });
    expect(weightValues(run.ctx.model, 2)).toEqual(kept);
    expect(result.report).toEqual(stage1.report);
    expect(ofType(run.events, 'warning').map((e) => e.message)).toContainEqual(
      expect.stringMatching(/^stage 2 did not beat stage 1 on the 6 validation images: no epoch had a lower val_loss than stage 1's model \(\d\.\d{4}\); stage 1's model is kept, exported and reported below$/),
    );
    run.dispose();
  });

  it('stage 2 whose best epoch is lower only within the noise keeps stage 1\'s model too', async () => {
    const faint = syntheticData(6, 20, 1, true); // bands barely above the noise: imperfect models, image by image
    const run = stageRun(convBase(), faint, {
      headKind: 'flatten',
      head: { epochs: 8, learningRate: 1e-2, optimizer: 'rmsprop' },
      finetune: { epochs: 3, learningRate: 1e-2, optimizer: 'sgd' },
      patience: null,
    });
    const stage1 = await trainHead(run);
    const kept = weightValues(run.ctx.model, 2);
    const result = await trainFinetune(run);
    expect(Math.min(...result.history.map((m) => m.valLoss!))).toBeLessThan(stage1.best!.valLoss); // a lower loss, by a hair
    expect(result.best!.epoch).toBe(0);
    expect(weightValues(run.ctx.model, 2)).toEqual(kept);
    expect(ofType(run.events, 'warning').map((e) => e.message)).toContainEqual(expect.stringMatching(/its best epoch, \d \(val_loss \d\.\d{4}\), is not lower than stage 1's model's \d\.\d{4} by more than its standard error/));
    run.dispose();
  });

  it('patience stops a stage early and keeps its best epoch', async () => {
    const run = stageRun(convBase(), SIX_CLASSES(), { headKind: 'flatten', head: { epochs: 30, learningRate: 3e-2, optimizer: 'rmsprop' }, patience: 2 });
    const result = await trainHead(run);
    expect(result.stoppedEarly).toBe(result.history.length);
    expect(result.history.length).toBeLessThan(30);
    expect(result.stoppedEarly! - result.best!.epoch).toBe(2);
    run.dispose();
  });
});

describe("stage 1's head kind", () => {
  it("'auto' tries each kind the base can take and trains the winner", async () => {
    const run = stageRun(convBase(), syntheticData(), { headKind: 'auto', head: { ...PINNED, learningRate: 'auto' } });
    const result = await trainHead(run);
    const heads = new Set(result.settings.search!.trials.map((t) => t.head));
    expect(heads).toEqual(new Set(['flatten', 'gap']));
    expect(run.ctx.head.kind).toBe(result.settings.head);
    const names = run.ctx.model.layers.slice(run.headStart).map((l) => l.name);
    expect(names).toEqual(result.settings.head === 'gap' ? ['head_pool', 'head_dropout', 'head_predictions'] : ['flatten', 'head_fc', 'head_dropout', 'head_predictions']);
    run.dispose();
  });
});
