// Named errors users can tell apart. Across the worker boundary only {name, message} survive, so
// callers compare `error.name`, never `instanceof`.

export class FinetuneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Something is wrong with the images or the folder layout. */
export class DatasetError extends FinetuneError {}

/** A setting is out of range or of the wrong kind. */
export class ConfigError extends FinetuneError {}

/** No usable TF.js backend, or a backend failed to start. */
export class BackendError extends FinetuneError {}

/** Base weights that do not fit the model. */
export class WeightsError extends FinetuneError {}

/** Training was cancelled on request, between two batches. */
export class CancelledError extends FinetuneError {
  constructor(message = 'training was cancelled') {
    super(message);
  }
}

/** Another tab or window is training this project; this one may only watch. */
export class ProjectBusyError extends FinetuneError {}

/** The backend ran out of memory; the message says which batch size to try. */
export class OutOfMemoryError extends FinetuneError {}

/** A stage's loss diverged at its rate and at the lower ones it restarted with; the message says what to try. */
export class DivergenceError extends FinetuneError {}

/** Where the run writes (the command line's output folder) cannot take it: not writable, full, or in use. Never retried as a fault. */
export class OutputError extends FinetuneError {}

/** A stored record could not be read or written; what is stored stays as it was. */
export class StorageError extends FinetuneError {}

/** The trainer's worker could not load or threw while starting: nothing trains until the page serves it. */
export class WorkerError extends FinetuneError {}

/** Every error of the run itself: what the user, the data or the storage did. None is a device fault to retry. */
export const ERROR_CLASSES = [DatasetError, ConfigError, BackendError, WeightsError, CancelledError, ProjectBusyError, OutOfMemoryError, DivergenceError, OutputError, StorageError, WorkerError] as const;

/** Their names, as errors cross the worker boundary (only {name, message} survive it). */
export const ERROR_NAMES: readonly string[] = ERROR_CLASSES.map((c) => c.name);
