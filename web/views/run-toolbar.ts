import { html, type TemplateResult } from 'lit';

// Under the settings: start the run, or, where one is unfinished, resume it or start over; and leave
// the project for another dataset.

export interface RunToolbarProps {
  /** The unfinished run's checkpoint, in words, when it can be resumed; null: a fresh start. */
  resumable: string | null;
  busy: boolean;
  /** Start cannot run yet (the planner holds the worker, or the base is not given). */
  startBlocked: boolean;
  starting: boolean;
  confirming: boolean;
  onConfirming(asking: boolean): void;
  onStart(resume: boolean): void;
  onClose(): void;
}

export function runToolbar(p: RunToolbarProps): TemplateResult {
  return html`<div class="toolbar">
    ${p.resumable !== null
      ? resumeActions({ checkpoint: p.resumable, confirming: p.confirming, onConfirming: p.onConfirming, onResume: () => p.onStart(true), onRestart: () => p.onStart(false) })
      : html`<button @click=${() => p.onStart(false)} ?disabled=${p.busy || p.startBlocked} aria-busy=${p.starting ? 'true' : 'false'}>
          ${p.starting ? 'Starting…' : 'Start training'}
        </button>`}
    <button class="secondary" @click=${p.onClose} ?disabled=${p.busy}>Another dataset</button>
  </div>`;
}

interface ResumeActionsProps {
  /** Where the checkpoint stands, in words. */
  checkpoint: string;
  /** "Start over…" was pressed: ask before the checkpoint is thrown away. */
  confirming: boolean;
  onConfirming(asking: boolean): void;
  onResume(): void;
  onRestart(): void;
}

/** An unfinished run's toolbar: Resume first; starting over throws its checkpoint away, so it asks in place first. */
function resumeActions(p: ResumeActionsProps): TemplateResult {
  const resume = html`<button @click=${p.onResume}>Resume (${p.checkpoint})</button>`;
  if (!p.confirming) return html`${resume}<button class="secondary" @click=${() => p.onConfirming(true)}>Start over…</button>`;
  const answer = (restart: boolean): void => {
    p.onConfirming(false);
    if (restart) p.onRestart();
  };
  return html`${resume}
    <span class="confirm" role="group" aria-label="Start over?">
      Starting over discards what is trained up to ${p.checkpoint}.
      <button class="danger" @click=${() => answer(true)}>Discard and start over</button>
      <button class="secondary" @click=${() => answer(false)}>Keep it</button>
    </span>`;
}
