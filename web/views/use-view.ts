import { html, type TemplateResult } from 'lit';
import { DOWNLOADS, type ExportFormat } from '../../src/export/downloads';
import type { Prediction } from '../../src/protocol';

export interface UseViewProps {
  predictions: Prediction[];
  /** Classifying the picked images. */
  predicting: boolean;
  /** The download being made, if any. */
  exporting: ExportFormat | null;
  onPredict(files: File[]): void;
  onExportModel(format: ExportFormat): void;
  onExportReport(format: 'json' | 'csv'): void;
}

/** Try the model on new images (top 3 classes), and take it (and the report) away. */
export function useView(p: UseViewProps): TemplateResult {
  const exportButton = (format: ExportFormat, label: string, title: string, secondary = true): TemplateResult =>
    html`<button class=${secondary ? 'secondary' : ''} title=${title} ?disabled=${p.exporting !== null} aria-busy=${p.exporting === format ? 'true' : 'false'} @click=${() => p.onExportModel(format)}>
      ${p.exporting === format ? 'Preparing…' : label}
    </button>`;
  const images = (list: FileList | null | undefined): File[] => [...(list ?? [])].filter((f) => f.type.startsWith('image/') || /\.(jpe?g|png|webp|bmp|gif)$/i.test(f.name));
  return html`
    <section part="predict" aria-labelledby="predict-title">
      <h2 id="predict-title">4. Use the model</h2>
      <div
        class="drop small"
        tabindex="0"
        role="button"
        aria-label="Drop images here to classify them, or press Enter to pick images"
        @dragover=${(e: DragEvent) => e.preventDefault()}
        @drop=${(e: DragEvent) => {
          e.preventDefault();
          const files = images(e.dataTransfer?.files);
          if (files.length) p.onPredict(files);
        }}
        @keydown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && (e.currentTarget as HTMLElement).parentElement!.querySelector<HTMLInputElement>('#predict-files')!.click()}
      >
        Drop images to classify them
      </div>
      <label class="button-like" aria-busy=${p.predicting ? 'true' : 'false'}>${p.predicting ? 'Classifying…' : 'Pick images…'} <input id="predict-files" type="file" accept="image/*" multiple @change=${(e: Event) => p.onPredict(images((e.target as HTMLInputElement).files))} /></label>
      ${p.predictions.length
        ? html`<ul class="predictions" aria-live="polite">
            ${p.predictions.map(
              (pr) => html`<li>
                <strong>${pr.name}</strong>:
                ${pr.error
                  ? html`<span class="error">${pr.error}</span>`
                  : pr.top.map((t, i) => html`${i ? ', ' : ''}<span>${t.className} ${(t.probability * 100).toFixed(1)}%</span>`)}
              </li>`,
            )}
          </ul>`
        : ''}
      <div class="row" part="export">
        ${DOWNLOADS.map((d) => exportButton(d.format, d.button, d.title, !('primary' in d)))}
        <button class="secondary" @click=${() => p.onExportReport('json')}>Report (JSON)</button>
        <button class="secondary" @click=${() => p.onExportReport('csv')}>Report (CSV)</button>
      </div>
    </section>
  `;
}
