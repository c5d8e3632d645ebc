import { html, nothing, type TemplateResult } from 'lit';
import type { EpochMetrics, StageResult } from '../../src/protocol';
import { formatRate } from '../../src/train/rate-search';
import type { ChartSeries } from './ft-chart';

const fixed = (v: number): string => v.toFixed(2);

/** How the stage trained and which epoch it kept, in a sentence (older results without these say nothing). */
function stageSummary(s: StageResult): string {
  if (!s.settings) return '';
  const { learningRate, head, search, restarts } = s.settings;
  const rate = `learning rate ${formatRate(learningRate)}${search ? ` (found by trying ${search.trials.length})` : ''}${restarts ? `, after ${restarts} restart(s) at a tenth of the rate` : ''}`;
  const kept = !s.best
    ? 'the last epoch kept (no validation images)'
    : s.stage === 2 && s.best.epoch === 0
      ? s.rejected
        ? `its best epoch (${s.rejected.epoch}) did not beat stage 1's model on the validation images beyond the noise, so this is stage 1's model`
        : "no epoch beat stage 1's model on the validation images, so this is stage 1's model"
      : `epoch ${s.best.epoch} kept (lowest validation loss)`;
  return `${s.stage === 1 ? `${head} head, ` : ''}${rate}; ${kept}${s.stoppedEarly ? `; stopped early after epoch ${s.stoppedEarly}` : ''}.`;
}

function reportTable(result: StageResult, title: string): TemplateResult {
  const r = result.report!;
  return html`<table part="report">
    <caption>${title}: classification report</caption>
    <thead><tr><th scope="col">class</th><th scope="col">precision</th><th scope="col">recall</th><th scope="col">f1-score</th><th scope="col">support</th></tr></thead>
    <tbody>
      ${r.classes.map((c) => html`<tr><th scope="row">${c.className}</th><td>${fixed(c.precision)}</td><td>${fixed(c.recall)}</td><td>${fixed(c.f1)}</td><td>${c.support}</td></tr>`)}
      <tr class="total"><th scope="row">accuracy</th><td></td><td></td><td>${fixed(r.accuracy)}</td><td>${r.total}</td></tr>
      <tr><th scope="row">macro avg</th><td>${fixed(r.macro.precision)}</td><td>${fixed(r.macro.recall)}</td><td>${fixed(r.macro.f1)}</td><td>${r.total}</td></tr>
      <tr><th scope="row">weighted avg</th><td>${fixed(r.weighted.precision)}</td><td>${fixed(r.weighted.recall)}</td><td>${fixed(r.weighted.f1)}</td><td>${r.total}</td></tr>
    </tbody>
  </table>`;
}

/** Rows: true class; columns: predicted. Shade by the share of the row. */
function confusionHeatmap(confusion: number[][], classes: string[], title: string): TemplateResult {
  return html`<table part="confusion" class="confusion">
    <caption>${title}: confusion matrix (rows: true class, columns: predicted)</caption>
    <thead><tr><th scope="col">true \\ predicted</th>${classes.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
    <tbody>
      ${confusion.map((row, i) => {
        const total = row.reduce((a, b) => a + b, 0) || 1;
        return html`<tr>
          <th scope="row">${classes[i]}</th>
          ${row.map((v, j) => {
            const share = v / total;
            const hue = i === j ? 'var(--ft-accent)' : 'var(--ft-danger)';
            return html`<td style="background: color-mix(in srgb, ${hue} ${Math.round(share * 85)}%, transparent); color: ${share > 0.55 ? '#fff' : 'inherit'}">${v}</td>`;
          })}
        </tr>`;
      })}
    </tbody>
  </table>`;
}

function gallery(result: StageResult, classes: string[], imageUrl: (path: string) => string | undefined): TemplateResult {
  if (!result.misclassified.length) return html`<p class="muted">No held-out image was misclassified.</p>`;
  return html`<figure part="gallery" class="gallery">
    <figcaption>${result.misclassified.length} misclassified held-out image(s)</figcaption>
    ${result.misclassified.slice(0, 48).map(
      (m) => html`<figure class="miss">
        ${imageUrl(m.path) ? html`<img src=${imageUrl(m.path)!} alt=${m.path} width="72" height="72" />` : nothing}
        <figcaption><span class="bad">${classes[m.predicted]}</span><br /><span class="muted">is ${classes[m.truth]}</span></figcaption>
      </figure>`,
    )}
  </figure>`;
}

export interface ResultsViewProps {
  history: EpochMetrics[];
  stages: StageResult[];
  classes: string[];
  imageUrl(path: string): string | undefined;
}

/** Live loss and accuracy charts, then each finished stage's report, confusion matrix and mistakes. */
export function resultsView(p: ResultsViewProps): TemplateResult {
  const series = (key: 'loss' | 'valLoss' | 'acc' | 'valAcc'): (number | null)[] => p.history.map((h) => h[key]);
  const loss: ChartSeries[] = [
    { label: 'train loss', color: '#2f6fed', values: series('loss') },
    { label: 'val loss', color: '#e0631d', values: series('valLoss'), dashed: true },
  ];
  const acc: ChartSeries[] = [
    { label: 'train acc', color: '#2f6fed', values: series('acc') },
    { label: 'val acc', color: '#e0631d', values: series('valAcc'), dashed: true },
  ];
  const stageBreak = p.history.findIndex((h) => h.stage === 2);
  return html`
    ${p.history.length
      ? html`<section part="charts" aria-label="Loss and accuracy per epoch" class="charts">
          <ft-chart heading="Loss" .series=${loss} .stageBreak=${stageBreak > 0 ? stageBreak + 0.5 : 0}></ft-chart>
          <ft-chart heading="Accuracy" .series=${acc} .stageBreak=${stageBreak > 0 ? stageBreak + 0.5 : 0}></ft-chart>
        </section>`
      : nothing}
    ${[...p.stages]
      .sort((a, b) => b.stage - a.stage)
      .map((s) => {
        const title = s.stage === 1 ? 'After stage 1 (head)' : 'After stage 2 (fine-tuned)';
        return s.report
          ? html`<section part="results" aria-label=${title}>
              <h2>${title}: accuracy ${fixed(s.report.accuracy)}</h2>
              <p class="muted">${stageSummary(s)}</p>
              <div class="results-grid">${reportTable(s, title)} ${confusionHeatmap(s.confusion!, p.classes, title)}</div>
              ${gallery(s, p.classes, p.imageUrl)}
            </section>`
          : html`<section part="results"><h2>${title}</h2><p class="muted">No images were held out, so there is no report.</p></section>`;
      })}
  `;
}
