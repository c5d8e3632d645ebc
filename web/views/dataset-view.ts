import { html, type TemplateResult } from 'lit';
import type { ProjectSummary } from '../../src/store/projects';

export interface DatasetViewProps {
  project: ProjectSummary;
  counts: number[];
  thumbnails: Map<string, string[]>;
  warnings: string[];
}

/** The imported classes: counts, a few thumbnails each, what was skipped and why, and warnings. */
export function datasetView(p: DatasetViewProps): TemplateResult {
  const { project } = p;
  return html`
    <section part="dataset" aria-labelledby="dataset-title">
      <h2 id="dataset-title">${project.name}: ${project.imageCount} images in ${project.classes.length} classes</h2>
      <ul class="classes">
        ${project.classes.map(
          (c, i) => html`<li>
            <span class="class-name">${c}</span> <span class="muted">${p.counts[i] ?? 0} images</span>
            <span class="thumbs">${(p.thumbnails.get(c) ?? []).map((src) => html`<img src=${src} alt="" width="40" height="40" />`)}</span>
          </li>`,
        )}
      </ul>
      ${p.warnings.map((w) => html`<p class="warn" role="note">⚠ ${w}</p>`)}
      ${project.skipped.length
        ? html`<details>
            <summary>${project.skipped.length} file(s) not imported</summary>
            <ul>
              ${project.skipped.slice(0, 200).map((s) => html`<li><code>${s.path}</code>: ${s.reason}</li>`)}
            </ul>
          </details>`
        : ''}
      <p class="muted">
        Storage: ${project.persisted === true ? 'kept by the browser (persistent)' : project.persisted === false ? 'may be cleared by the browser when space is short' : 'persistence not asked'}${project.checkpoint ? html` · checkpoint: ${project.checkpoint}` : ''}
      </p>
    </section>
  `;
}
