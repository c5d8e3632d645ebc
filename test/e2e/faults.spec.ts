import { join } from 'node:path';
import type { TrainConfigInput } from '../../src/config';
import type { TrainEvent } from '../../src/protocol';
import type { OpenInput, OpenSettings } from '../../src/run/open-session';
import type { FaultDrill } from '../../src/run/fault-drill';
import { expect, importProject, inputFor, type Runner, sampleSubset, test } from './fixtures';

// Faults caused on purpose mid-epoch (src/run/fault-drill.ts): a kernel that throws, memory that runs
// out, a WebGPU device that is destroyed. The run reports each and resumes from its last checkpoint.

// 16 images, 12 for training: 3 batches an epoch, 9 in stage 1 and 6 in stage 2. Given rates and no
// validation slice, so every batch counted here is one of the stage's (a search would train more).
const CONFIG: TrainConfigInput = { inputSize: 32, batchSize: 4, backend: 'wasm', validationFraction: 0, head: { epochs: 3, learningRate: 1e-3 }, finetune: { epochs: 2, learningRate: 1e-3 } };

function projectInput(projectId: string, extra: OpenSettings = {}): OpenInput {
  return { projectId, checkpoint: { target: { kind: 'indexeddb', projectId }, everyBatches: 1 }, ...extra };
}

/** Opens `input` with the drills armed and runs the recipe; the error it ends with, if any. */
async function runWithDrills(runner: Runner, input: OpenInput, drills: FaultDrill[]): Promise<{ name: string; message: string } | null> {
  return runner.page.evaluate(
    async ([i, d]) => {
      await window.finetune.api.drillFaults(d);
      try {
        await window.finetune.open(i);
        await window.finetune.api.runRecipe();
        return null;
      } catch (error) {
        return { name: (error as Error).name, message: (error as Error).message };
      }
    },
    [input, drills] as const,
  );
}

async function eventsOf<T extends TrainEvent['type']>(runner: Runner, type: T): Promise<Extract<TrainEvent, { type: T }>[]> {
  return (await runner.events()).filter((e): e is Extract<TrainEvent, { type: T }> => e.type === type);
}

test('a failed kernel in each stage: reported, resumed from the last checkpoint, and the weights end as if nothing happened', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'faults'), ['daisy', 'rose'], 8);
  await runner.open(await inputFor(dataRoot, 'faults', CONFIG));
  await runner.page.evaluate(() => window.finetune.api.runRecipe());
  const expected = (await runner.fingerprints()).map((f) => f.hash);
  const tensorsAfterReference = (await runner.memory()).numTensors;
  await runner.close();

  const projectId = await importProject(runner, dataRoot, 'faults', CONFIG);
  // Batch 2 of stage 1 (mid-epoch 1), and batch 2 of stage 2: the next kernel throws.
  expect(await runWithDrills(runner, projectInput(projectId), [{ kind: 'kernel', afterBatches: 2 }, { kind: 'kernel', afterBatches: 9 + 2 }])).toBeNull();
  const faults = await eventsOf(runner, 'fault');
  expect(faults).toEqual([
    { type: 'fault', kind: 'kernel', message: 'a kernel failed on wasm (fault drill: a kernel failed)', action: expect.stringMatching(/^resuming from the last checkpoint \(fault 1 of at most 2\) on wasm$/) },
    { type: 'fault', kind: 'kernel', message: 'a kernel failed on wasm (fault drill: a kernel failed)', action: expect.stringMatching(/\(fault 2 of at most 2\) on wasm$/) },
  ]);
  expect((await eventsOf(runner, 'resumed')).map((e) => e.where)).toEqual(['stage 1, epoch 1, batch 2', 'stage 2, epoch 1, batch 2']);
  expect((await runner.fingerprints()).map((f) => f.hash)).toEqual(expected);
  // Nothing the failed steps made outlives them.
  expect((await runner.memory()).numTensors).toBe(tensorsAfterReference);
  const runs = await runner.page.evaluate((id) => window.finetune.api.runs(id), projectId);
  expect(runs.map((r) => r.outcome)).toEqual(['failed: fault drill: a kernel failed', 'failed: fault drill: a kernel failed', 'done']);
});

test('out of memory: stops with the batch size to try, keeps the checkpoint; with leave, resumes at half the batch', async ({ runner, dataRoot }) => {
  await sampleSubset(join(dataRoot, 'oom'), ['daisy', 'rose'], 8);
  const projectId = await importProject(runner, dataRoot, 'oom', CONFIG);
  const error = await runWithDrills(runner, projectInput(projectId), [{ kind: 'out-of-memory', afterBatches: 4 }]);
  expect(error).toEqual({
    name: 'OutOfMemoryError',
    message: 'wasm ran out of memory at batch size 4 (WebAssembly.Memory.grow(): Maximum memory size exceeded (fault drill)): try a batch size of 2 (or allow smaller batches on out-of-memory)',
  });
  expect(await eventsOf(runner, 'fault')).toEqual([]);

  // The same run, allowed to shrink the batch: it picks up from the checkpoint after batch 1 of epoch 2.
  const resumed = await runWithDrills(runner, projectInput(projectId, { resume: true, recovery: { smallerBatch: true } }), [{ kind: 'out-of-memory', afterBatches: 1 }]);
  expect(resumed).toBeNull();
  const [fault] = await eventsOf(runner, 'fault');
  expect(fault).toMatchObject({ kind: 'out-of-memory', action: expect.stringMatching(/with batch size 2$/) });
  const starts = await eventsOf(runner, 'stage-start');
  // 12 images: 3 batches of 4 an epoch in both runs' stage 1, 6 of 2 after the fault.
  expect(starts.map((s) => `${s.stage}:${s.stepsPerEpoch}`)).toEqual(['1:3', '1:3', '1:6', '2:6']);
  const stage1 = (await eventsOf(runner, 'epoch')).filter((e) => e.metrics.stage === 1).map((e) => e.metrics.epoch);
  expect(stage1.at(-1)).toBe(3);
  const batches = (await eventsOf(runner, 'batch')).filter((b) => b.stage === 1);
  // Resumed after 2 x 4 images of epoch 2 as batch 4 of 6.
  expect(batches.find((b) => b.steps === 6)).toMatchObject({ epoch: 2, step: 5 });
});

test('a lost WebGPU device mid-epoch: stage 2 resumes on a new device and finishes', async ({ runner, dataRoot }) => {
  // SwiftShader's WebGPU is slow: 8 training images, stage 1 on wasm, stage 2 (through the whole model) on webgpu.
  await sampleSubset(join(dataRoot, 'lost'), ['daisy', 'rose'], 5);
  const config: TrainConfigInput = { ...CONFIG, finetuneBackend: 'webgpu', head: { epochs: 1, learningRate: 1e-3 }, finetune: { epochs: 1, learningRate: 1e-3 }, cache: { head: true, finetune: false } };
  const projectId = await importProject(runner, dataRoot, 'lost', config);
  const error = await runWithDrills(runner, projectInput(projectId), [{ kind: 'device-lost', afterBatches: 2 + 1 }]);
  expect(error).toBeNull();
  const [fault] = await eventsOf(runner, 'fault');
  expect(fault).toMatchObject({ kind: 'device-lost', message: expect.stringMatching(/^the webgpu device was lost \(destroyed/) });
  expect(fault!.action).toMatch(/on a new webgpu device/);
  // The device went during batch 2 (reading it for the checkpoint after batch 1 failed): the last good checkpoint is the stage's start.
  expect((await eventsOf(runner, 'resumed')).map((e) => e.where)).toEqual(['stage 2, epoch 1, batch 0']);
  const backends = (await eventsOf(runner, 'backend')).map((e) => `${e.choice.stage}:${e.choice.backend}`);
  expect(backends).toEqual(['1:wasm', '2:webgpu', '1:wasm', '2:webgpu']);
  expect((await runner.memory()).backend).toBe('webgpu');
  const stage2 = (await eventsOf(runner, 'stage-end')).find((e) => e.stage === 2);
  expect(stage2?.result.history).toHaveLength(1);
});
