import { describe, expect, it } from 'vitest';
import { CancelledError, ConfigError } from '../../src/errors';
import { outcomeStatus, type RunOutcome } from '../../src/protocol';
import { outcomeOf } from '../../src/run/open-session';

// Run records in users' IndexedDB hold these strings: what a project's status becomes from each, and
// how an error that ends a run is written, must stay as they were when those records were stored.

describe('outcomeStatus', () => {
  it("gives each way a run ends the project status it always gave: a cancelled run is 'stopped'", () => {
    const outcomes: RunOutcome[] = ['done', 'cancelled', 'stopped', 'failed: fault drill: a kernel failed', 'failed: '];
    expect(outcomes.map(outcomeStatus)).toEqual(['done', 'stopped', 'stopped', 'failed', 'failed']);
  });

  it('reads a failure by its prefix, whatever its message says', () => {
    expect(outcomeStatus('failed: done')).toBe('failed');
    expect(outcomeStatus('failed: cancelled')).toBe('failed');
  });
});

describe('outcomeOf', () => {
  it("writes a cancel as 'cancelled' and any other error as 'failed: ' and its message", () => {
    expect(outcomeOf(new CancelledError())).toBe('cancelled');
    // Errors that crossed the worker boundary keep only their name.
    expect(outcomeOf(Object.assign(new Error('x'), { name: 'CancelledError' }))).toBe('cancelled');
    expect(outcomeOf(new ConfigError('batch size 0'))).toBe('failed: batch size 0');
    const outcome: RunOutcome = outcomeOf(new Error('out of memory'));
    expect(outcomeStatus(outcome)).toBe('failed');
  });
});
