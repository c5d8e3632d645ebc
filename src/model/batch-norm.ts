import * as tf from '@tensorflow/tfjs';

// TF.js runs a BatchNormalization layer in training mode whenever its model trains, trainable or not:
// it normalises with the batch's statistics and overwrites its moving mean and variance, so fine-tuning
// a pretrained base with small batches of a user's photos replaces the statistics ImageNet gave it (a
// unit test shows it). Keras' transfer-learning guidance is the opposite: BatchNormalization layers stay
// in inference mode (moving statistics used and kept; gamma and beta still train when unfrozen).

type LayerCall = (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

/** Whether each patched layer may run in training mode (when also trainable). */
const trainingAllowed = new WeakMap<tf.layers.Layer, boolean>();

export function batchNormLayers(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((layer) => layer.getClassName() === 'BatchNormalization');
}

/**
 * Sets how the model's BatchNormalization layers train: with `train` false (the default of a run) they
 * always normalise with their moving statistics and never update them; with `train` true a trainable one
 * uses batch statistics and updates its moving averages, as TF.js does by default. Inference is the same
 * either way, and nothing of this is saved with the model.
 */
export function setBatchNormTraining(model: tf.LayersModel, train: boolean): void {
  for (const layer of batchNormLayers(model)) {
    if (!trainingAllowed.has(layer)) {
      const own = (Object.getPrototypeOf(layer) as { call: LayerCall }).call;
      const patched: LayerCall = function (this: tf.layers.Layer, inputs, kwargs) {
        const training = kwargs['training'] === true && trainingAllowed.get(this) === true && this.trainable;
        return own.call(this, inputs, { ...kwargs, training });
      };
      (layer as unknown as { call: LayerCall }).call = patched;
    }
    trainingAllowed.set(layer, train);
  }
}
