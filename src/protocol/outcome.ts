// How a run ended, as its record in IndexedDB keeps it. Records already stored hold these very strings,
// so the type names them instead of changing them: a failure keeps its message after the prefix.

/** A run's end: finished, cancelled by the user, closed while still open, or failed with a message. */
export type RunOutcome = 'done' | 'cancelled' | 'stopped' | `failed: ${string}`;

/** A project's status once a run of it has ended. */
export type EndedStatus = 'done' | 'stopped' | 'failed';

/** The status a project takes from its run's outcome: a cancelled run is stopped like one closed unfinished. */
export function outcomeStatus(outcome: RunOutcome): EndedStatus {
  switch (outcome) {
    case 'done':
      return 'done';
    case 'cancelled':
    case 'stopped':
      return 'stopped';
    default:
      return 'failed';
  }
}
