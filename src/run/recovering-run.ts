import * as tf from '@tensorflow/tfjs';
import { lostDevice, restartBackend } from '../backend/gpu-device';
import type { TrainEventListener } from '../protocol';
import { outcomeOf, type OpenedSession, type OpenInput } from './open-session';
import { planRecovery, RECOVERY_DEFAULTS, type RecoveryPlan } from './recovery';
import type { TrainingSession } from '../train/session';

// Training work that survives faults: on a lost device, a failed kernel or memory running out, the run
// is reported, closed and opened again from its last checkpoint, and the same work goes on there.

/** The open run, and how to open it again; `replace` tells the owner which run is open now (null while reopening). */
export interface RecoverableRun {
  run: OpenedSession;
  input: OpenInput;
  emit: TrainEventListener;
  open(input: OpenInput): Promise<OpenedSession>;
  replace(run: OpenedSession | null, input: OpenInput): void;
}

/** The plan for going on after `error`, or null; an OutOfMemoryError without leave to shrink the batch throws. */
function recoveryFrom(error: unknown, r: RecoverableRun, survived: number): RecoveryPlan | null {
  const settings = { ...RECOVERY_DEFAULTS, ...r.input.recovery };
  if (!r.run.resumable) settings.attempts = 0;
  return planRecovery({ error, lostDevice: lostDevice(), backend: tf.getBackend(), batchSize: r.run.session.config.batchSize, settings, survived });
}

/** Closes the faulted run and opens it again from its last checkpoint (or afresh if it wrote none). */
async function reopen(r: RecoverableRun, plan: RecoveryPlan): Promise<RecoverableRun> {
  r.replace(null, r.input);
  await r.run.close().catch(() => undefined); // a lost device can fail to free what it held
  if (plan.restart) restartBackend(plan.restart);
  const input: OpenInput = { ...r.input, resume: true, ...(plan.batchSize !== null && { batchSize: plan.batchSize }) };
  const run = await r.open(input).catch((error: unknown) => {
    if ((error as Error).name !== 'ConfigError' || !/nothing to resume/.test((error as Error).message)) throw error;
    return r.open({ ...input, resume: false });
  });
  r.replace(run, input);
  return { ...r, run, input };
}

/**
 * Runs `work` on the run's session, recording how the run ended when it ends the recipe or fails. A
 * fault is reported and the work starts again on the reopened session.
 */
export async function trainRecovering<T>(
  start: RecoverableRun,
  work: (session: TrainingSession) => Promise<T>,
  endsRecipe: (session: TrainingSession) => boolean,
): Promise<T> {
  let r = start;
  for (let survived = 0; ; survived++) {
    try {
      const result = await work(r.run.session);
      if (endsRecipe(r.run.session)) await r.run.finish('done');
      return result;
    } catch (error) {
      let plan: RecoveryPlan | null;
      try {
        plan = recoveryFrom(error, r, survived);
      } catch (advice) {
        await r.run.finish(outcomeOf(advice));
        throw advice;
      }
      await r.run.finish(outcomeOf(error));
      if (!plan) throw error;
      await r.emit({ type: 'fault', kind: plan.kind, message: plan.message, action: plan.action });
      r = await reopen(r, plan);
    }
  }
}
