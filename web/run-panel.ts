import { html, nothing, type TemplateResult } from 'lit';
import type { ExportFormat } from '../src/export/downloads';
import { download, reportFile } from './element-downloads';
import type { TrainingController } from './training-controller';
import { progressView } from './views/progress-view';
import { resultsView } from './views/results-view';
import { useView } from './views/use-view';

// What a run shows under the settings: its progress (with pause, resume and cancel), a warning when the
// base was never trained, each stage's results, and, once it is done, classifying new images and the
// downloads.

/** The shown results were trained from a VGG16 with random weights. */
function trainedFromScratch(c: TrainingController): boolean {
  return (c.prepared?.config.weights ?? c.project?.config.weights) === 'random';
}

export interface RunActions {
  onPause(): void;
  onResume(): void;
  onCancel(): void;
  onDownloadModel(format: ExportFormat): void;
}

export function runPanel(c: TrainingController, actions: RunActions): TemplateResult {
  const prepared = c.prepared;
  return html`${c.status !== 'idle' || c.history.length
      ? progressView({
          status: c.status,
          stoppedAt: c.status === 'interrupted' ? (c.project?.checkpoint ?? null) : null,
          progress: c.progress,
          backends: prepared ? [prepared.backend, ...(prepared.finetuneBackend.backend !== prepared.backend.backend ? [prepared.finetuneBackend] : [])] : [],
          last: c.history.at(-1) ?? null,
          notes: c.notes,
          onPause: actions.onPause,
          onResume: actions.onResume,
          onCancel: actions.onCancel,
        })
      : nothing}
    ${c.stages.length && trainedFromScratch(c)
      ? html`<p class="warn notice" role="note">
          These results come from an untrained VGG16 (random weights, NOT pretrained): they show the training working, not what fine-tuning a pretrained base reaches.
        </p>`
      : nothing}
    ${resultsView({ history: c.history, stages: c.stages, classes: c.project?.classes ?? [], imageUrl: (p) => c.imageUrl(p) })}
    ${c.status === 'done'
      ? useView({
          predictions: c.predictions,
          predicting: c.working === 'predict',
          exporting: c.working?.startsWith('export:') ? (c.working.slice(7) as ExportFormat) : null,
          onPredict: (files) => void c.predict(files),
          onExportModel: actions.onDownloadModel,
          onExportReport: (f) => {
            const { name, blob } = reportFile(c, f);
            download(blob, name);
          },
        })
      : nothing}`;
}
