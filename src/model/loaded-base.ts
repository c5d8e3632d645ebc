import type * as tf from '@tensorflow/tfjs';
import type { HeadKind, Preprocessing, TrainEventListener } from '../protocol';
import type { FinetuneStore } from '../store/schema';

// What loading a base gives the run, whichever backbone it is: each backbone's file (backbones/) makes
// one from weights that base.ts fetched or found in the cache, and the session trains on it.

export interface BaseContext {
  seed: number;
  inputSize: number;
  /** The user's preprocessing setting; 'auto' takes the one that belongs to the weights. */
  preprocessing: Preprocessing | 'auto';
  /** The base cache; without one (no IndexedDB), every load downloads. */
  db?: () => Promise<FinetuneStore>;
  emit: TrainEventListener;
  signal?: AbortSignal;
}

/** What a backbone's loader reads of the context: the weights come to it already fetched. */
export type BuildContext = Pick<BaseContext, 'seed' | 'inputSize' | 'preprocessing'>;

export interface LoadedBase {
  model: tf.LayersModel;
  /** Says which base, for the log. */
  label: string;
  preprocessing: Preprocessing;
  inputSize: number;
  /** The weights' identity (seed or content hash): a resumed run must find the same base. */
  identity: string;
  /** Stage 2's first trainable layer when the user named none (VGG16: 15, block5_conv1), and why that one. */
  unfreezeFrom: number | string;
  unfreezeWhy: string;
  /** The head kinds 'auto' chooses between (VGG16: the recipe's flatten head only). */
  heads: HeadKind[];
}

/** The user's preprocessing, or, where they said 'auto', the one that `belongs` to the weights. */
export function preprocessingFor(ctx: Pick<BaseContext, 'preprocessing'>, belongs: Preprocessing): Preprocessing {
  return ctx.preprocessing === 'auto' ? belongs : ctx.preprocessing;
}
