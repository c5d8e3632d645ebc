import * as tf from '@tensorflow/tfjs';
import { canFuseRmsprop, FUSED_RMSPROP, type FusedRmspropAttrs } from '../backend/wasm-rmsprop';

// TF.js' RMSprop, with its update as one kernel on wasm (src/backend/wasm-rmsprop.ts: one pass over the
// weights instead of 15, bit for bit the same). Elsewhere, or centred, it is TF.js' own. Its state
// (the mean squares and moments, their names, getWeights/setWeights for checkpoints) is TF.js'.

interface OptimizerVariable {
  originalName: string;
  variable: tf.Variable;
}

/** RMSPropOptimizer's private state, which its own applyGradients fills the same way. */
interface RmspropState {
  centered: boolean;
  accumulatedMeanSquares: OptimizerVariable[];
  accumulatedMoments: OptimizerVariable[];
}

export class FusedRMSPropOptimizer extends tf.RMSPropOptimizer {
  override applyGradients(variableGradients: Parameters<tf.RMSPropOptimizer['applyGradients']>[0]): void {
    const state = this as unknown as RmspropState;
    if (state.centered || !canFuseRmsprop()) return super.applyGradients(variableGradients);
    const names = Array.isArray(variableGradients) ? variableGradients.map((item) => item.name) : Object.keys(variableGradients);
    const attrs: FusedRmspropAttrs = { learningRate: this.learningRate, decay: this.decay, momentum: this.momentum, epsilon: this.epsilon };
    names.forEach((name, i) => {
      const value = tf.engine().registeredVariables[name]!;
      const zeros = (): tf.Variable => tf.tidy(() => tf.zerosLike(value).variable(false));
      state.accumulatedMeanSquares[i] ??= { originalName: `${name}/rms`, variable: zeros() };
      state.accumulatedMoments[i] ??= { originalName: `${name}/momentum`, variable: zeros() };
      const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
      if (gradient == null) return;
      const ms = state.accumulatedMeanSquares[i]!.variable;
      const mom = state.accumulatedMoments[i]!.variable;
      const [newValue, newMs, newMom] = tf.engine().runKernel(FUSED_RMSPROP, { value, gradient, ms, mom }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      ms.assign(newMs!);
      mom.assign(newMom!);
      value.assign(newValue!);
      tf.dispose([newValue!, newMs!, newMom!]);
    });
    this.incrementIterations();
  }
}
