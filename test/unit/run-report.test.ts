import { describe, expect, it } from 'vitest';
import { runReport } from '../../src/run/report';
import type { PrepareResult, StageResult } from '../../src/protocol';

describe('runReport', () => {
  const stages = [{ stage: 1 } as StageResult];
  const when = new Date('2026-12-06T12:00:00Z');

  it("is one document from a run's result (the command line's) or a reopened project's stages (the element's)", () => {
    const prepared = { classes: ['daisy', 'rose'], trainSize: 10, config: { seed: 42 } } as unknown as PrepareResult;
    const cli = runReport({ ...prepared, stages }, 'photos', 12.5, when);
    expect(cli).toMatchObject({ createdAt: '2026-12-06T12:00:00.000Z', seconds: 12.5, dataset: 'photos', classes: ['daisy', 'rose'], stages, trainSize: 10, config: { seed: 42 } });
    const reopened = runReport({ classes: ['daisy', 'rose'], stages }, 'Flowers', null, when);
    expect(Object.keys(reopened).sort()).toEqual(['classes', 'createdAt', 'dataset', 'seconds', 'stages']);
    // What both carry is in the same place.
    for (const key of ['createdAt', 'dataset', 'seconds', 'classes', 'stages'] as const) expect(key in cli).toBe(true);
  });
});
