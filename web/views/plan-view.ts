import { html, type TemplateResult } from 'lit';
import { RUN_PRESETS, type RunPresetName } from '../../src/config';
import type { RunPlan } from '../../src/train/plan-run';
import { durationText } from '../run-progress';
import { formatMB } from '../../src/units';

export type PresetChoice = RunPresetName | 'custom';

export interface PlanViewProps {
  preset: PresetChoice;
  plan: RunPlan | null;
  /** The probe is running. */
  planning: boolean;
  planError: string | null;
  /** What the base picker still needs before anything can be measured. */
  waitingFor: string | null;
  disabled: boolean;
  /** The project has an unfinished run: the estimate is for starting over, not for Resume. */
  startingOver: boolean;
  onPreset(preset: PresetChoice): void;
}

const presetText = (name: RunPresetName): string => {
  const p = RUN_PRESETS[name];
  return `${p.inputSize} px, ${p.headEpochs} + ${p.finetuneEpochs} epochs, batch ${p.batchSize}`;
};

function estimateText(plan: RunPlan, startingOver: boolean): TemplateResult {
  const { estimate: e, backend, base } = plan;
  const stage = (n: 1 | 2): string => (plan.shape.stages[n].epochs ? `stage ${n} ${durationText(e.stages[n].total)}` : `no stage ${n}`);
  const download = base.download ? `, plus downloading ${formatMB(base.download)} of weights` : '';
  const total = `${startingOver ? 'Starting over takes about' : 'About'} ${durationText(e.total)}`;
  const parts = `preparing ${durationText(e.prepare)}, ${stage(1)}, ${stage(2)}${download}`;
  const how = `Measured here by a ${durationText(plan.probeSeconds)} probe on ${plan.shape.train} training, ${plan.shape.validation} validation and ${plan.shape.test} test images; every epoch counted, so a stage that stops early ends sooner.`;
  return html`<p class="estimate"><strong>${total}</strong> on ${backend.backend} (${backend.detail}): ${parts}. <span class="muted">${how}</span></p>`;
}

/** How long a run is: a preset or custom numbers, and the measured estimate for them, before Start. */
export function planView(p: PlanViewProps): TemplateResult {
  const choices: { value: PresetChoice; label: string; detail: string }[] = [
    { value: 'quick', label: RUN_PRESETS.quick.label, detail: presetText('quick') },
    { value: 'recipe', label: RUN_PRESETS.recipe.label, detail: presetText('recipe') },
    { value: 'custom', label: 'Custom', detail: 'your numbers, under Advanced' },
  ];
  return html`<fieldset class="presets" ?disabled=${p.disabled}>
      <legend>Run</legend>
      ${choices.map(
        (c) => html`<label class="preset"
          ><input type="radio" name="preset" value=${c.value} .checked=${c.value === p.preset} @change=${() => p.onPreset(c.value)} />
          <strong>${c.label}</strong> <span class="muted">${c.detail}</span></label
        >`,
      )}
    </fieldset>
    <div class="plan" aria-live="polite" aria-busy=${p.planning ? 'true' : 'false'}>
      ${p.waitingFor
        ? html`<p class="muted estimate">Give ${p.waitingFor} to see the run's layers and how long it takes.</p>`
        : p.planError
        ? html`<p class="error">Cannot plan this run: ${p.planError}</p>`
        : p.plan && !p.planning
          ? estimateText(p.plan, p.startingOver)
          : html`<p class="muted estimate">Measuring how long this run takes here…</p>`}
    </div>`;
}
