import { html, type TemplateResult } from 'lit';
import type { BackendChoice, EpochMetrics } from '../../src/protocol';
import { cachePassesText, memoryText } from '../../src/train/log-format';
import { durationText, type RunProgress } from '../run-progress';
import type { RunStatus } from '../training-controller';
import { formatMB } from '../../src/units';

export interface ProgressViewProps {
  status: RunStatus;
  /** Where an unfinished checkpoint stopped ('stage 2, epoch 3, batch 0'), for the 'interrupted' state. */
  stoppedAt: string | null;
  progress: RunProgress;
  backends: BackendChoice[];
  /** The last finished epoch, for its memory figures. */
  last: EpochMetrics | null;
  notes: string[];
  onPause(): void;
  onResume(): void;
  onCancel(): void;
}

const bar = (label: string, value: number, max: number, text: string): TemplateResult =>
  html`<div class="bar"><label>${label}</label><progress aria-label=${label} max=${Math.max(max, 1)} .value=${value}></progress><span>${text}</span></div>`;

/** The heading's word for each state ('3. Training: in progress', never 'Training training'). */
const STATUS_TEXT: Record<Exclude<RunStatus, 'interrupted'>, string> = {
  idle: '',
  importing: 'importing',
  preparing: 'preparing',
  training: 'in progress',
  paused: 'paused',
  done: 'done',
  stopped: 'stopped',
  failed: 'failed',
};

function statusText(status: RunStatus, stoppedAt: string | null): string {
  return status === 'interrupted' ? `interrupted at ${stoppedAt ?? 'its last checkpoint'}` : STATUS_TEXT[status];
}

/** Stage, epoch and batch bars with the time left, the backend and why, and the run's notes. */
export function progressView(p: ProgressViewProps): TemplateResult {
  const { progress: g } = p;
  const running = p.status === 'training' || p.status === 'paused' || p.status === 'preparing';
  const state = statusText(p.status, p.stoppedAt);
  return html`
    <section part="progress" aria-labelledby="progress-title">
      <h2 id="progress-title">3. Training${state ? html`: <span class="muted">${state}</span>` : ''}</h2>
      ${p.backends.map((b) => html`<p class="backend"><strong>${b.stage === 2 ? 'Stage 2 backend' : 'Backend'}: ${b.backend}</strong> (${b.detail}). <span class="muted">${b.reason}</span></p>`)}
      ${g.decode && p.status === 'preparing' ? bar('Images decoded', g.decode.done, g.decode.total, `${g.decode.done} / ${g.decode.total}`) : ''}
      ${g.cache ? bar('Caching', g.cache.done, g.cache.total, `frozen layers: ${cachePassesText(g.cache)}`) : ''}
      ${g.download && g.download.loaded !== g.download.total
        ? bar('Weights downloaded', g.download.loaded, g.download.total ?? g.download.loaded, formatMB(g.download.loaded))
        : ''}
      ${g.stage
        ? html`${bar('Stage', g.stagesDone, 2, `${g.stage} of 2`)} ${bar('Epoch', g.epoch, g.epochs, `${g.epoch} of ${g.epochs}`)}
          ${bar('Batch', g.step, g.steps, `${g.step} of ${g.steps}${g.loss === null ? '' : ` · loss ${g.loss.toFixed(4)} · acc ${g.acc!.toFixed(4)}`}`)}
          ${running ? html`<p class="eta">${g.timeLeftText}</p>` : ''}
          ${p.status === 'done' && g.finishedIn !== null ? html`<p class="eta">Finished in ${durationText(g.finishedIn)}${g.resumed ? ' after resuming' : ''}</p>` : ''}`
        : ''}
      ${p.last ? html`<p class="memory muted">Memory after epoch ${p.last.epoch}: ${memoryText(p.last)}</p>` : ''}
      <div class="row">
        ${p.status === 'paused'
          ? html`<button @click=${p.onResume}>Resume</button>`
          : html`<button class="secondary" @click=${p.onPause} ?disabled=${p.status !== 'training'}>Pause</button>`}
        <button class="secondary" @click=${p.onCancel} ?disabled=${!running}>Cancel</button>
      </div>
      ${p.notes.length ? html`<details><summary>Log (${p.notes.length})</summary><pre class="log">${p.notes.join('\n')}</pre></details>` : ''}
    </section>
  `;
}
