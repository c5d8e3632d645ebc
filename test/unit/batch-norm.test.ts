import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBatchNormTraining } from '../../src/model/batch-norm';
import { convBase, stageRun, syntheticData, trainFinetune, trainHead } from '../fixtures/stage-run';

/** bn_b's gamma, beta, moving mean and moving variance, copied out. */
const bnState = (model: tf.LayersModel): Float32Array[] => model.getLayer('bn_b').getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
const STAGES = { headKind: 'flatten', head: { epochs: 2, learningRate: 1e-3, optimizer: 'rmsprop' }, finetune: { epochs: 2, learningRate: 1e-2, optimizer: 'sgd' }, patience: null } as const;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('BatchNormalization while fine-tuning', () => {
  it('TF.js by itself updates a frozen BatchNormalization layer\'s moving statistics in a training step', async () => {
    const model = convBase({ batchNorm: true });
    model.layers.forEach((l) => (l.trainable = false));
    model.getLayer('relu_b').trainable = true;
    const head = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(tf.layers.flatten().apply(model.outputs[0]!)) as tf.SymbolicTensor;
    const whole = tf.model({ inputs: model.inputs, outputs: head });
    whole.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const before = bnState(whole);
    const [xs, ys] = [tf.randomUniform([4, 32, 32, 3], 0, 1, 'float32', 2), tf.tensor2d([[1, 0], [0, 1], [1, 0], [0, 1]])];
    await whole.trainOnBatch(xs, ys);
    const after = bnState(whole);
    expect(after[2]).not.toEqual(before[2]); // moving mean
    expect(after[3]).not.toEqual(before[3]); // moving variance
    tf.dispose([xs, ys]);
    whole.dispose();
  });

  it('in inference mode (the default) stage 2 keeps the moving statistics bit for bit while gamma and beta train', async () => {
    const run = stageRun(convBase({ batchNorm: true }), syntheticData(), STAGES);
    const before = bnState(run.ctx.model);
    await trainHead(run);
    await trainFinetune(run);
    const after = bnState(run.ctx.model);
    expect(after[2]).toEqual(before[2]);
    expect(after[3]).toEqual(before[3]);
    expect(after[0]).not.toEqual(before[0]); // gamma trained: bn_b is in the unfrozen block
    run.dispose();
  });

  it('with bnTrain, a trainable BatchNormalization layer uses batch statistics and updates its moving averages', async () => {
    const run = stageRun(convBase({ batchNorm: true }), syntheticData(), { ...STAGES, bnTrain: true });
    const before = bnState(run.ctx.model);
    await trainHead(run); // frozen in stage 1: no update even so
    expect(bnState(run.ctx.model)[2]).toEqual(before[2]);
    await trainFinetune(run);
    expect(bnState(run.ctx.model)[2]).not.toEqual(before[2]);
    run.dispose();
  });

  it('inference is the same either way', () => {
    const model = convBase({ batchNorm: true, seed: 5 });
    const xs = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 6);
    const predict = (): Float32Array => tf.tidy(() => (model.predict(xs) as tf.Tensor).dataSync() as Float32Array);
    const plain = predict();
    setBatchNormTraining(model, false);
    expect(predict()).toEqual(plain);
    xs.dispose();
    model.dispose();
  });
});
