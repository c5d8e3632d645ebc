// The messages and types that cross the worker boundary, one file a subject. Everything here is
// structured-cloneable; the worker's API type is `typeof api` in workers/trainer.worker.ts.

export * from './backend';
export * from './config';
export * from './data';
export * from './events';
export * from './outcome';
export * from './results';
export * from './session';
