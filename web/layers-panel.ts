import { nothing, type TemplateResult } from 'lit';
import type { TrainConfigInput } from '../src/config';
import type { RunPlanner } from './run-planner';
import type { TrainingController } from './training-controller';
import { layersView } from './views/layers-view';

export interface LayersPanelOptions {
  /** The settings the plan is for. */
  config: TrainConfigInput;
  /** Work holds the worker: no plan's table is shown. */
  busy: boolean;
  /** A layer picked before Start: the settings' stage-2 layer. */
  onPlannedUnfreeze(index: number): void;
}

/** The model's layers, with stage 2's first layer to pick: from the plan before Start, from the run once it has opened. */
export function layersPanel(c: TrainingController, planner: RunPlanner, o: LayersPanelOptions): TemplateResult | typeof nothing {
  const prepared = c.prepared;
  if (prepared) {
    return layersView({
      layers: prepared.layers,
      unfreezeFrom: typeof prepared.config.unfreezeFrom === 'number' ? prepared.config.unfreezeFrom : prepared.layers.findIndex((l) => l.name === prepared.config.unfreezeFrom),
      headStart: prepared.headStart,
      locked: c.progress.stage === 2 || c.stages.some((s) => s.stage === 2),
      onUnfreeze: (index) => void c.setUnfreezeFrom(index),
    });
  }
  // While the settings' new plan is measured, the last one's table stays (the planner holds only this project's), unpickable.
  const current = c.project ? planner.planOf(c.project.id, o.config) : null;
  const plan = current ?? planner.plan;
  if (!plan || o.busy) return nothing;
  return layersView({ layers: plan.layers, unfreezeFrom: plan.unfreezeFrom, headStart: plan.headStart, locked: !current, onUnfreeze: o.onPlannedUnfreeze });
}
