import { describe, expect, it } from 'vitest';
import * as errors from '../../src/errors';
import { CancelledError, ConfigError, DivergenceError, OutputError, StorageError } from '../../src/errors';
import { classifyFault, planRecovery, RECOVERY_DEFAULTS, type FaultContext } from '../../src/run/recovery';
import { rebatched } from '../../src/train/rebatch';

const context = (error: unknown, extra: Partial<FaultContext> = {}): FaultContext => ({
  error,
  lostDevice: null,
  backend: 'wasm',
  batchSize: 8,
  settings: RECOVERY_DEFAULTS,
  survived: 0,
  ...extra,
});

describe('classifyFault', () => {
  it('never retries what the user or the data caused', () => {
    expect(classifyFault(new ConfigError('batch size 0'), null)).toBeNull();
    expect(classifyFault(new CancelledError(), 'destroyed')).toBeNull();
    // Errors that crossed the worker boundary keep only their name.
    expect(classifyFault(Object.assign(new Error('x'), { name: 'DatasetError' }), null)).toBeNull();
    // A checkpoint the output folder could not take (full, read-only) is not a kernel failing.
    expect(classifyFault(new OutputError('checkpoint not saved to the output folder (HTTP 507)'), null)).toBeNull();
    expect(classifyFault(new DivergenceError('stage 1 diverged'), null)).toBeNull();
  });

  it('retries only what a backend throws: storage failures and bugs are not faults', () => {
    // IndexedDB refusing a write, a transaction that closed, a bug in our own code: retrying would not help.
    expect(classifyFault(new DOMException('The quota has been exceeded.', 'QuotaExceededError'), null)).toBeNull();
    expect(classifyFault(new DOMException('The transaction has finished.', 'TransactionInactiveError'), null)).toBeNull();
    expect(classifyFault(new TypeError("Cannot read properties of undefined (reading 'shape')"), null)).toBeNull();
    expect(classifyFault(new StorageError('not a finetune-trainer checkpoint'), null)).toBeNull();
    // What backends throw: wasm traps and WebGPU's operation and GPU errors.
    expect(classifyFault(Object.assign(new Error('unreachable'), { name: 'RuntimeError' }), null)).toBe('kernel');
    expect(classifyFault(new DOMException('mapAsync failed', 'OperationError'), null)).toBe('kernel');
    // A read rejected because the device went, before its \`lost\` promise said so: retried, and the retry sees the loss.
    expect(classifyFault(new DOMException("Failed to execute 'mapAsync' on 'GPUBuffer': Device is lost", 'AbortError'), null)).toBe('kernel');
    // After the device went, whatever failed failed because of it.
    expect(classifyFault(new TypeError('x'), 'destroyed')).toBe('device-lost');
  });

  it("knows every named error as the run's own", () => {
    const named = Object.values(errors).filter((value): value is typeof errors.FinetuneError => typeof value === 'function' && value.prototype instanceof errors.FinetuneError);
    expect(named.length).toBeGreaterThan(10);
    expect([...errors.ERROR_NAMES].sort()).toEqual(named.map((c) => c.name).sort());
  });

  it('tells a lost device, memory running out and a failed kernel apart', () => {
    expect(classifyFault(new Error('mapAsync failed'), 'destroyed: Device was destroyed.')).toBe('device-lost');
    expect(classifyFault(new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded'), null)).toBe('out-of-memory');
    expect(classifyFault(new Error('Failed to allocate texture'), null)).toBe('out-of-memory');
    expect(classifyFault(new Error('Aborted(Cannot enlarge memory arrays)'), null)).toBe('out-of-memory');
    expect(classifyFault(new Error('Conv2D failed'), null)).toBe('kernel');
  });
});

describe('planRecovery', () => {
  it('restarts a lost device on the same backend', () => {
    const plan = planRecovery(context(new Error('x'), { lostDevice: 'destroyed', backend: 'webgpu' }));
    expect(plan).toMatchObject({ kind: 'device-lost', restart: 'webgpu', batchSize: null });
  });

  it('stops after the allowed faults', () => {
    expect(planRecovery(context(new Error('x'), { survived: 1 }))).not.toBeNull();
    expect(planRecovery(context(new Error('x'), { survived: 2 }))).toBeNull();
    expect(planRecovery(context(new Error('x'), { settings: { attempts: 0, smallerBatch: false } }))).toBeNull();
  });

  it('out of memory: advice without leave, half the batch with it, down to 1', () => {
    const oom = new RangeError('Maximum memory size exceeded');
    expect(() => planRecovery(context(oom))).toThrow(/^wasm ran out of memory at batch size 8 \(Maximum memory size exceeded\): try a batch size of 4/);
    const allowed = { attempts: 2, smallerBatch: true };
    expect(planRecovery(context(oom, { settings: allowed }))).toMatchObject({ kind: 'out-of-memory', batchSize: 4, action: expect.stringMatching(/batch size 4$/) });
    expect(() => planRecovery(context(oom, { settings: allowed, batchSize: 1 }))).toThrow(/even a batch of 1 does not fit/);
  });
});

describe('rebatched', () => {
  const at = { step: 3, lossSum: 1.5, accSum: 2.4, epoch: 2 };
  it('keeps the images done and the mean loss', () => {
    const half = rebatched(at, 8, 4);
    expect(half).toEqual({ step: 6, lossSum: 3, accSum: 4.8, epoch: 2 });
    expect(half.lossSum / half.step).toBeCloseTo(at.lossSum / at.step, 12);
  });
  it('starts the epoch over when the images done are not whole batches', () => {
    expect(rebatched(at, 8, 5)).toEqual({ step: 0, lossSum: 0, accSum: 0, epoch: 2 });
    expect(rebatched(at, 8, 8)).toBe(at);
  });
});
