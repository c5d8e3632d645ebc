import { RECIPE_DEFAULTS } from '../../src/config';
import type { Checkpoint } from '../../src/checkpoint/format';

/** A stage-1 checkpoint with every part: weights, optimizer, best epoch's weights, stage 1's head (each its own values). */
export const checkpoint: Checkpoint = {
  format: 2,
  createdAt: 1,
  config: { ...RECIPE_DEFAULTS, preprocessing: 'unit', batchSize: 32 },
  datasetKey: '4:abc',
  baseIdentity: 'random:42',
  cursor: { stage: 1, epoch: 2, step: 3, lossSum: 1.5, accSum: 0.5, seconds: 9, rng: { shuffleAtEpochStart: 7, augment: 8, dropout: [9] }, done: false },
  stages: [],
  history: [],
  weightsFrom: 19,
  weights: { specs: [{ name: 'w', shape: [2], dtype: 'float32' }], data: new Float32Array([1, 2]).buffer },
  optimizer: { specs: [{ name: 'iter', shape: [], dtype: 'int32' }], data: new Int32Array([5]).buffer },
  progress: {
    settings: { learningRate: 1e-4, head: 'gap', restarts: 1, search: null },
    startStreams: { shuffle: 1, augment: 2, dropout: [3] },
    best: { epoch: 1, valAcc: 0.5, valLoss: 0.7, weights: { specs: [{ name: 'w', shape: [2], dtype: 'float32' }], data: new Float32Array([3, 4]).buffer } },
  },
  stage1Head: { specs: [{ name: 'h', shape: [1], dtype: 'float32' }], data: new Float32Array([5]).buffer },
};
