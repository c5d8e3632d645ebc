import * as tf from '@tensorflow/tfjs';
import { isBetter } from './compare-scores';
import type { EpochScore } from '../protocol';
import { decodeLayerWeights, encodeLayerWeights, setLayerWeights } from './weight-codec';
import type { BestCheckpoint } from '../checkpoint/format';

/** Copies of these layers' weights (the caller owns them). */
export function copyWeights(layers: readonly tf.layers.Layer[]): tf.Tensor[] {
  return layers.flatMap((layer) => layer.weights.map((w) => tf.clone(w.read())));
}

/**
 * The weights of a stage's trained layers at its best epoch so far (Keras' ModelCheckpoint with
 * save_best_only, or EarlyStopping's restore_best_weights), kept as tensors on the backend. The copy
 * exists from the start (of the start's weights), so a stage holds the same tensors after every epoch.
 */
export class BestWeights {
  score: EpochScore | null = null;
  private values: tf.Tensor[];
  /** The copy holds the stage's starting weights (stage 2's epoch 0, or no best yet). */
  private fromStart = true;
  /** The best epoch's weights are the live ones: set when an epoch becomes the best, cleared when training goes on. */
  private current = false;

  constructor(
    private readonly layers: readonly tf.layers.Layer[],
    private readonly start: readonly tf.Tensor[],
  ) {
    this.values = start.map((t) => tf.clone(t));
  }

  private keep(values: tf.Tensor[], fromStart: boolean): void {
    tf.dispose(this.values);
    this.values = values;
    this.fromStart = fromStart;
  }

  /** Takes the epoch if it scores better; the model's weights must be that epoch's. */
  offer(score: EpochScore): boolean {
    if (!isBetter(score, this.score)) return false;
    this.score = score;
    this.keep(score.epoch === 0 ? this.start.map((t) => tf.clone(t)) : copyWeights(this.layers), score.epoch === 0);
    this.current = score.epoch > 0;
    return true;
  }

  /** The live weights moved on (a batch trained): the best epoch's are only in the copy now. */
  moved(): void {
    this.current = false;
  }

  /** Sets the layers to the best epoch's weights. */
  restore(): void {
    setLayerWeights(this.layers, this.values);
  }

  /** Sets the layers to the stage's starting weights. */
  restoreStart(): void {
    setLayerWeights(this.layers, this.start);
  }

  async checkpoint(): Promise<BestCheckpoint | null> {
    if (!this.score) return null;
    const weights = this.fromStart ? 'start' : this.current ? 'current' : await encodeLayerWeights(this.layers, this.values);
    return { ...this.score, weights };
  }

  /** Picks up a checkpoint's best; 'current' means the weights the model was just restored to. */
  resumeFrom(saved: BestCheckpoint | null): void {
    if (!saved) return;
    const { weights, ...score } = saved;
    this.score = score;
    if (weights === 'start') this.keep(this.start.map((t) => tf.clone(t)), true);
    else this.keep(weights === 'current' ? copyWeights(this.layers) : decodeLayerWeights(this.layers, weights), false);
    this.current = weights === 'current';
  }

  dispose(): void {
    tf.dispose(this.values);
    this.values = [];
  }
}
