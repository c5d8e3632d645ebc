// A stage's position carried over to another batch size (a run resumed at half the batch after running
// out of memory).

/**
 * A resumed position at another batch size: the same images done (the epoch's order does not depend on
 * the batch size), and the running sums of per-batch means scaled to the new count of batches. When
 * the images done are not a whole number of new batches, the epoch starts over.
 */
export function rebatched<T extends { step: number; lossSum: number; accSum: number }>(position: T, from: number, to: number): T {
  if (from === to || position.step === 0) return position;
  const images = position.step * from;
  if (images % to !== 0) return { ...position, step: 0, lossSum: 0, accSum: 0 };
  const step = images / to;
  const scale = step / position.step;
  return { ...position, step, lossSum: position.lossSum * scale, accSum: position.accSum * scale };
}
