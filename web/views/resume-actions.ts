import { html, type TemplateResult } from 'lit';

export interface ResumeActionsProps {
  /** Where the checkpoint stands, in words. */
  checkpoint: string;
  /** "Start over…" was pressed: ask before the checkpoint is thrown away. */
  confirming: boolean;
  onConfirming(asking: boolean): void;
  onResume(): void;
  onRestart(): void;
}

/** An unfinished run's toolbar: Resume first; starting over throws its checkpoint away, so it asks in place first. */
export function resumeActions(p: ResumeActionsProps): TemplateResult {
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
