import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '../rng';

export interface StreamDropoutArgs {
  rate: number;
  name?: string;
  /** Initial state of the mask stream; the trainer replaces `stream` with the run's own. */
  seed?: number;
}

/**
 * Keras' Dropout semantics (a new mask on every training step) with reproducible masks: each training
 * call draws the mask's seed from a seeded stream, whose state is the whole of the layer's randomness.
 * tf.layers.dropout with a fixed `seed` would repeat one mask forever; without one it cannot be replayed.
 * Inference is the identity, so an exported model declares a plain `Dropout` in its place.
 */
export class StreamDropout extends tf.layers.Layer {
  static readonly className = 'StreamDropout';
  readonly rate: number;
  stream: SeededRandom;

  constructor(args: StreamDropoutArgs) {
    super({ name: args.name });
    this.rate = args.rate;
    this.stream = new SeededRandom(args.seed ?? 0);
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const input = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
    if (kwargs['training'] !== true || this.rate <= 0) return input;
    return tf.dropout(input, this.rate, undefined, this.stream.uint32());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
tf.serialization.registerClass(StreamDropout);
