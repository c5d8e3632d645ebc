import type { EncodedWeights } from './format';
import type { StoredCheckpoint } from './upgrade';

// A checkpoint's encoded parts (weights, optimizer, best epoch, stage 1's head) in whatever form a place
// keeps them: as bytes in memory (EncodedWeights), described in a packed file's header (pack.ts), or as
// Blobs in IndexedDB (src/store/checkpoints.ts).

const isPart = <P>(weights: P | 'current' | 'start'): weights is P => weights !== 'current' && weights !== 'start';

/** A checkpoint's encoded parts (of any stored format, today's included) in the order a packed file holds them: weights, optimizer, best epoch's, stage 1's head. */
export function partsOf<P>(c: StoredCheckpoint<P>): P[] {
  const best = c.progress?.best?.weights;
  return [c.weights, c.optimizer, best !== undefined && isPart(best) ? best : null, c.stage1Head ?? null].filter((p): p is P => p != null);
}

/** The same checkpoint with each encoded part replaced by `f` of it, called in partsOf's order (what a format-1 checkpoint lacks becomes null). */
export function mapParts<A, B>(c: StoredCheckpoint<A>, f: (part: A) => B): StoredCheckpoint<B> {
  const best = c.progress?.best;
  return {
    ...c,
    weights: f(c.weights),
    optimizer: c.optimizer ? f(c.optimizer) : null,
    progress: c.progress ? { ...c.progress, best: best ? { ...best, weights: isPart(best.weights) ? f(best.weights) : best.weights } : null } : null,
    stage1Head: c.stage1Head ? f(c.stage1Head) : null,
  };
}

/** The bytes of its encoded parts: a packed file's size but for its header. */
export function checkpointBytes(c: StoredCheckpoint<EncodedWeights>): number {
  return partsOf(c).reduce((n, w) => n + w.data.byteLength, 0);
}
