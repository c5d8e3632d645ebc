import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors';
import type { StageConfig } from '../protocol';
import { FusedRMSPropOptimizer } from './fused-rmsprop';

/** A stage's optimizer: Keras' RMSprop or SGD at `learningRate`. */
export function makeOptimizer(kind: StageConfig['optimizer'], learningRate: number): tf.Optimizer {
  if (!(learningRate > 0)) throw new ConfigError(`a ${kind} optimizer needs a positive learning rate, got ${learningRate}`);
  // Keras' RMSprop defaults (rho 0.9, epsilon 1e-7) are TF.js' too.
  return kind === 'rmsprop' ? new FusedRMSPropOptimizer(learningRate) : tf.train.sgd(learningRate);
}
