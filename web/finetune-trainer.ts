// <finetune-trainer>: fine-tune a CNN on your own image folders, in the browser. One import:
//   import 'finetune-trainer/web/finetune-trainer';
//   <finetune-trainer head-epochs="25" finetune-epochs="100"></finetune-trainer>
import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { cacheChoice, cacheStages, RECIPE_DEFAULTS, type CacheChoice, type TrainConfigInput } from '../src/config';
import { ConfigError } from '../src/errors';
import { EXPORT_FORMATS, type ExportFormat } from '../src/export/formats';
import type { BackendPreference, Prediction, TrainConfig } from '../src/protocol';
import { reportsCsv } from '../src/train/report-export';
import type { ImportSource } from './import-source';
import { TrainingController } from './training-controller';
import { datasetView } from './views/dataset-view';
import './views/ft-chart';
import { importView } from './views/import-view';
import { layersView } from './views/layers-view';
import { progressView } from './views/progress-view';
import { resultsView } from './views/results-view';
import { settingsView } from './views/settings-view';
import { styles } from './views/styles';
import { useView } from './views/use-view';

export * from './events';
export type { CacheChoice } from '../src/config';

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Drop in, pick a folder of class folders, train. Attributes set the recipe's numbers (the form edits
 * the same properties); methods drive it from code; `finetune-*` events report what happens.
 *
 * @attr project - the stored project to show and train (its id); set by importing, or from outside
 * @attr base - 'vgg16' (default), or a TF.js layers model as URL/model.json#layer
 * @attr weights - VGG16's weights: random (default), imagenet, a Keras .h5 URL, or cached:<sha256>
 * @attr input-size - square input side in pixels (224 in the recipe; 32 and up)
 * @attr head-units - hidden units of the new head (256)
 * @attr head-epochs - stage 1 epochs (25)
 * @attr finetune-epochs - stage 2 epochs (100)
 * @attr head-lr - stage 1 RMSprop learning rate, or auto (default): measured by a short search on the validation images
 * @attr finetune-lr - stage 2 SGD learning rate, or auto (default)
 * @attr head - the new head: flatten (the recipe's), gap (global average pooling), or auto (default: flatten on VGG16, measured on other bases)
 * @attr validation-fraction - share of each class's training images that validates every epoch (0.15)
 * @attr patience - epochs without a lower validation loss before a stage stops early (5), or off
 * @attr bn-train - train BatchNormalization layers in training mode (default: inference mode)
 * @attr batch-size - images per batch (32)
 * @attr unfreeze-from - the first base layer stage 2 trains, by index or name, or auto (default: the base's own; VGG16: 15, block5_conv1)
 * @attr backend - auto (measured), webgpu, webgl, wasm or cpu
 * @attr threads - threads of the wasm backend (default: every core; needs a cross-origin isolated page)
 * @attr cache - stages that run their frozen layers once and train on the stored outputs: both, head, finetune, none
 * @attr cache-views - augmented views cached per training image, besides the plain one (2)
 * @attr smaller-batch-on-oom - on running out of memory, resume at half the batch size instead of stopping with that advice (default: off)
 * @csspart import - the image import panel
 * @csspart dataset - the imported classes with counts and thumbnails
 * @csspart settings - the settings form
 * @csspart layers - the layer table
 * @csspart progress - progress bars and controls
 * @csspart charts - loss and accuracy charts
 * @csspart results - a finished stage's report, confusion matrix and gallery
 * @csspart report - a classification report table
 * @csspart confusion - a confusion matrix heat map
 * @csspart gallery - misclassified held-out images
 * @csspart predict - classifying new images
 * @csspart export - the download buttons
 * @cssprop --ft-accent - the accent colour (buttons, bars, correct predictions)
 * @cssprop --ft-bg - the background
 * @cssprop --ft-fg - the text colour
 * @cssprop --ft-muted - secondary text
 * @cssprop --ft-border - borders of panels and tables
 * @cssprop --ft-surface - shaded backgrounds (log, drop zone)
 * @cssprop --ft-danger - errors and wrong predictions
 * @cssprop --ft-warn - warnings about the dataset
 * @cssprop --ft-radius - corner radius of panels
 * @cssprop --ft-font - the font
 * @fires {FinetuneEvent<'finetune-progress'>} finetune-progress - decoding, downloading and batches, a few times a second
 * @fires {FinetuneEvent<'finetune-epoch'>} finetune-epoch - after each epoch, with its metrics
 * @fires {FinetuneEvent<'finetune-stage'>} finetune-stage - when a stage starts and ends (with its report)
 * @fires {FinetuneEvent<'finetune-complete'>} finetune-complete - when both stages are done
 * @fires {FinetuneEvent<'finetune-error'>} finetune-error - when something fails (name and message)
 */
export class FinetuneTrainer extends LitElement {
  static override styles = [
    styles,
    css`
      .drop {
        border: 2px dashed var(--ft-border);
        border-radius: var(--ft-radius);
        padding: 22px;
        text-align: center;
        color: var(--ft-muted);
        margin: 10px 0;
      }
      .drop.small {
        padding: 12px;
      }
      .drop.over {
        border-color: var(--ft-accent);
        background: var(--ft-surface);
      }
      .button-like {
        display: inline-block;
        padding: 6px 14px;
        border: 1px solid var(--ft-accent);
        border-radius: 6px;
        color: var(--ft-accent);
        cursor: pointer;
      }
      .button-like:focus-within {
        outline: 3px solid color-mix(in srgb, var(--ft-accent) 45%, transparent);
      }
      .button-like input {
        position: absolute;
        width: 1px;
        height: 1px;
        opacity: 0;
      }
      .classes {
        list-style: none;
        padding: 0;
        margin: 0;
      }
      .classes li {
        display: flex;
        gap: 10px;
        align-items: center;
        padding: 3px 0;
      }
      .class-name {
        font-weight: 600;
        min-width: 120px;
      }
      .thumbs img,
      .gallery img {
        object-fit: cover;
        border-radius: 4px;
        margin-right: 2px;
      }
      .fields {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(220px, 100%), 1fr));
        gap: 10px 16px;
      }
      .field {
        display: flex;
        flex-direction: column;
      }
      .field input,
      .field select {
        font: inherit;
        padding: 4px 6px;
      }
      .bar {
        display: grid;
        /* minmax(0, ...): a long text wraps instead of widening the page on a phone */
        grid-template-columns: 70px minmax(80px, 1fr) minmax(0, 260px);
        gap: 8px;
        align-items: center;
      }
      progress {
        width: 100%;
        accent-color: var(--ft-accent);
      }
      .charts {
        display: flex;
        flex-wrap: wrap;
        gap: 16px;
      }
      .results-grid {
        display: flex;
        flex-wrap: wrap;
        gap: 24px;
        align-items: flex-start;
      }
      caption {
        text-align: left;
        font-weight: 600;
        padding-bottom: 4px;
      }
      .confusion td {
        min-width: 34px;
        text-align: center;
      }
      .gallery {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        margin: 12px 0 0;
      }
      .gallery > figcaption {
        width: 100%;
        font-weight: 600;
      }
      .miss {
        margin: 0;
        width: 80px;
        font-size: 12px;
      }
      .bad {
        color: var(--ft-danger);
      }
      tr.unfreeze td {
        border-top: 2px solid var(--ft-accent);
      }
      .log {
        max-height: 220px;
        overflow: auto;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        background: var(--ft-surface);
        padding: 8px;
        font-size: 12px;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        margin-bottom: 12px;
      }
    `,
  ];

  static override properties = {
    project: { type: String, reflect: true },
    base: { type: String },
    weights: { type: String },
    inputSize: { type: Number, attribute: 'input-size' },
    headUnits: { type: Number, attribute: 'head-units' },
    headEpochs: { type: Number, attribute: 'head-epochs' },
    finetuneEpochs: { type: Number, attribute: 'finetune-epochs' },
    headLr: { type: String, attribute: 'head-lr' },
    finetuneLr: { type: String, attribute: 'finetune-lr' },
    headKind: { type: String, attribute: 'head' },
    validationFraction: { type: Number, attribute: 'validation-fraction' },
    patience: { type: String },
    bnTrain: { type: Boolean, attribute: 'bn-train' },
    batchSize: { type: Number, attribute: 'batch-size' },
    unfreezeFrom: { type: String, attribute: 'unfreeze-from' },
    backend: { type: String },
    threads: { type: Number },
    cache: { type: String },
    cacheViews: { type: Number, attribute: 'cache-views' },
    smallerBatchOnOom: { type: Boolean, attribute: 'smaller-batch-on-oom' },
  };

  // Each property's documentation is its attribute's @attr line above: one text for both.
  declare project: string;
  declare base: string;
  declare weights: string;
  declare inputSize: number;
  declare headUnits: number;
  declare headEpochs: number;
  declare finetuneEpochs: number;
  declare headLr: string;
  declare finetuneLr: string;
  declare headKind: string;
  declare validationFraction: number;
  declare patience: string;
  declare bnTrain: boolean;
  declare batchSize: number;
  declare unfreezeFrom: string;
  declare backend: BackendPreference;
  declare threads: number | undefined;
  declare cache: CacheChoice;
  declare cacheViews: number;
  declare smallerBatchOnOom: boolean;
  /** "Start over…" was pressed: the toolbar asks before the checkpoint is thrown away. */
  private confirmingRestart = false;

  /** @internal The element's state machine and its worker; not part of the public API. */
  readonly controller = new TrainingController(this);

  constructor() {
    super();
    const d = RECIPE_DEFAULTS;
    Object.assign(this, {
      project: '',
      base: 'vgg16',
      weights: d.weights,
      inputSize: d.inputSize,
      headUnits: d.headUnits,
      headEpochs: d.head.epochs,
      finetuneEpochs: d.finetune.epochs,
      headLr: String(d.head.learningRate),
      finetuneLr: String(d.finetune.learningRate),
      headKind: d.headKind,
      validationFraction: d.validationFraction,
      patience: String(d.patience ?? 'off'),
      bnTrain: d.bnTrain,
      batchSize: d.batchSize,
      unfreezeFrom: String(d.unfreezeFrom),
      backend: d.backend,
      cache: 'both',
      cacheViews: d.cache.views,
      smallerBatchOnOom: false,
    });
  }

  /** @internal The settings as the trainer takes them. */
  trainConfig(): TrainConfigInput {
    const unfreeze = /^\d+$/.test(this.unfreezeFrom) ? Number(this.unfreezeFrom) : this.unfreezeFrom;
    const rate = (value: string): number | 'auto' => (String(value).trim() === 'auto' ? 'auto' : Number(value));
    const patience = String(this.patience).trim();
    return {
      weights: this.base && this.base !== 'vgg16' ? this.base : this.weights,
      inputSize: this.inputSize,
      headUnits: this.headUnits,
      batchSize: this.batchSize,
      unfreezeFrom: unfreeze,
      headKind: this.headKind as TrainConfigInput['headKind'],
      validationFraction: this.validationFraction,
      patience: patience === 'off' ? null : Number(patience),
      bnTrain: this.bnTrain,
      backend: this.backend,
      ...(this.threads ? { threads: this.threads } : {}),
      head: { epochs: this.headEpochs, learningRate: rate(this.headLr) },
      finetune: { epochs: this.finetuneEpochs, learningRate: rate(this.finetuneLr) },
      cache: { ...cacheStages(this.cache), views: this.cacheViews },
    };
  }

  /** @internal Shows a project's (or a resumed checkpoint's) settings in the form, so the next start uses them. */
  applyConfig(config: TrainConfig): void {
    // A project stored before the frozen-layer cache existed has no cache settings: show the defaults.
    const cache = config.cache ?? RECIPE_DEFAULTS.cache;
    const weightsIsBase = config.weights.includes('#');
    Object.assign(this, {
      base: weightsIsBase ? config.weights : 'vgg16',
      weights: weightsIsBase ? this.weights : config.weights,
      inputSize: config.inputSize,
      headUnits: config.headUnits,
      batchSize: config.batchSize,
      unfreezeFrom: String(config.unfreezeFrom),
      backend: config.backend,
      headEpochs: config.head.epochs,
      headLr: String(config.head.learningRate),
      finetuneEpochs: config.finetune.epochs,
      finetuneLr: String(config.finetune.learningRate),
      // Stored before these settings existed: the defaults.
      headKind: config.headKind ?? RECIPE_DEFAULTS.headKind,
      validationFraction: config.validationFraction ?? RECIPE_DEFAULTS.validationFraction,
      patience: String((config.patience === undefined ? RECIPE_DEFAULTS.patience : config.patience) ?? 'off'),
      bnTrain: config.bnTrain ?? RECIPE_DEFAULTS.bnTrain,
      cache: cacheChoice(cache),
      cacheViews: cache.views,
    });
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('project') && this.project && this.project !== this.controller.project?.id) void this.controller.loadProject(this.project);
  }

  /** Trains the project from the start (or, with `resume`, from its last checkpoint). */
  start(resume = false): Promise<void> {
    return this.controller.start(resume);
  }
  /** Holds the run after the current batch; resume() goes on from there. */
  pause(): Promise<void> {
    return this.controller.pause();
  }
  /** Goes on after pause(). */
  resume(): Promise<void> {
    return this.controller.resume();
  }
  /** Stops the run after the current batch, with a finetune-error named CancelledError. */
  cancel(): Promise<void> {
    return this.controller.cancel();
  }
  /** The top 3 classes of each image, from the trained model. */
  predict(images: File[]): Promise<Prediction[]> {
    return this.controller.predict(images);
  }
  /**
   * The trained model. 'tfjs' (default): a zip of model.json and weights.bin, as tf.loadLayersModel
   * reads them; 'onnx': an ONNX model that takes RGB pixels 0-255 (preprocessing inside); 'keras-h5':
   * the weights in Keras' save_weights layout.
   */
  export(format: ExportFormat = 'tfjs'): Promise<Blob> {
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) return Promise.reject(new ConfigError(`export takes ${EXPORT_FORMATS.join(', ')}; got '${String(format)}'`));
    return this.controller.exportModel(format);
  }

  private closeProject(): void {
    this.project = '';
    this.controller.closeProject();
  }

  /** Imports files (with their class-folder paths), a zip or a directory as a new project, and opens it. */
  async importDataset(name: string, source: ImportSource): Promise<string | null> {
    const id = await this.controller.importInto(name, source);
    if (id) this.project = id;
    return id;
  }

  private async downloadModel(format: ExportFormat): Promise<void> {
    download(await this.export(format), `${fileStem(this.controller.project?.name ?? 'model')}${DOWNLOAD_SUFFIX[format]}`);
  }

  private downloadReport(format: 'json' | 'csv'): void {
    const c = this.controller;
    const name = `${fileStem(c.project?.name ?? 'model')}-report.${format}`;
    const body = format === 'csv' ? reportsCsv(c.stages) : JSON.stringify({ project: c.project?.name, classes: c.project?.classes, config: c.prepared?.config, stages: c.stages }, null, 2);
    download(new Blob([body], { type: format === 'csv' ? 'text/csv' : 'application/json' }), name);
  }

  /** An unfinished run: Resume first; starting over throws its checkpoint away, so it asks in place first. */
  private resumeActions(checkpoint: string): TemplateResult {
    const resume = html`<button @click=${() => this.start(true)}>Resume (${checkpoint})</button>`;
    const asking = (on: boolean): void => {
      this.confirmingRestart = on;
      this.requestUpdate();
    };
    if (!this.confirmingRestart) return html`${resume}<button class="secondary" @click=${() => asking(true)}>Start over…</button>`;
    const answer = (restart: boolean): void => {
      asking(false);
      if (restart) void this.start(false);
    };
    return html`${resume}
      <span class="confirm" role="group" aria-label="Start over?">
        Starting over discards what is trained up to ${checkpoint}.
        <button class="danger" @click=${() => answer(true)}>Discard and start over</button>
        <button class="secondary" @click=${() => answer(false)}>Keep it</button>
      </span>`;
  }

  override render(): TemplateResult {
    const c = this.controller;
    const busy = c.status === 'importing' || c.status === 'preparing' || c.status === 'training' || c.status === 'paused';
    const settings = {
      weights: this.weights,
      inputSize: this.inputSize,
      batchSize: this.batchSize,
      headUnits: this.headUnits,
      headEpochs: this.headEpochs,
      headLr: this.headLr,
      finetuneEpochs: this.finetuneEpochs,
      finetuneLr: this.finetuneLr,
      headKind: this.headKind,
      validationFraction: this.validationFraction,
      patience: this.patience,
      unfreezeFrom: this.unfreezeFrom,
      backend: this.backend,
      cache: this.cache,
      cacheViews: this.cacheViews,
    };
    const canResume = !!c.project?.checkpoint && c.project.checkpoint !== 'finished' && !busy;
    const prepared = c.prepared;
    return html`
      <div class="sr-only" role="status" aria-live="polite">${c.announcement}</div>
      ${c.error ? html`<p class="error" role="alert">${c.error.name}: ${c.error.message}</p>` : nothing}
      ${c.project
        ? datasetView({ project: c.project, counts: c.classCounts, thumbnails: c.thumbnails, warnings: c.classWarnings })
        : importView({ busy, progress: c.progress.decode, onImport: (source, name) => void this.importDataset(name, source) })}
      ${c.project
        ? html`${settingsView({ values: settings, disabled: busy, onChange: (key, value) => Object.assign(this, { [key]: value }) })}
            <div class="toolbar">
              ${canResume ? this.resumeActions(c.project.checkpoint) : html`<button @click=${() => this.start(false)} ?disabled=${busy}>Start training</button>`}
              <button class="secondary" @click=${() => this.closeProject()} ?disabled=${busy}>Another dataset</button>
            </div>`
        : nothing}
      ${prepared
        ? layersView({
            layers: prepared.layers,
            unfreezeFrom: typeof prepared.config.unfreezeFrom === 'number' ? prepared.config.unfreezeFrom : prepared.layers.findIndex((l) => l.name === prepared.config.unfreezeFrom),
            headStart: prepared.headStart,
            locked: c.progress.stage === 2 || c.stages.some((s) => s.stage === 2),
            onUnfreeze: (index) => void c.setUnfreezeFrom(index),
          })
        : nothing}
      ${c.status !== 'idle' || c.history.length
        ? progressView({
            status: c.status,
            stoppedAt: c.status === 'interrupted' ? (c.project?.checkpoint ?? null) : null,
            progress: c.progress,
            backends: prepared ? [prepared.backend, ...(prepared.finetuneBackend.backend !== prepared.backend.backend ? [prepared.finetuneBackend] : [])] : [],
            last: c.history.at(-1) ?? null,
            notes: c.notes,
            onPause: () => void this.pause(),
            onResume: () => void this.resume(),
            onCancel: () => void this.cancel(),
          })
        : nothing}
      ${resultsView({ history: c.history, stages: c.stages, classes: c.project?.classes ?? [], imageUrl: (p) => c.imageUrl(p) })}
      ${c.status === 'done'
        ? useView({
            predictions: c.predictions,
            onPredict: (files) => void c.predict(files),
            onExportModel: (format) => void this.downloadModel(format),
            onExportReport: (f) => this.downloadReport(f),
          })
        : nothing}
    `;
  }
}

/** What a downloaded model is called after the project: Keras reads a name ending in .h5 (not .weights.h5) as save_weights' layout. */
/** A project name as a file name: 'Flowers test' -> 'flowers-test' (letters, digits, - and _ only). */
function fileStem(name: string): string {
  return name.toLowerCase().normalize('NFKD').replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
}

const DOWNLOAD_SUFFIX: Record<ExportFormat, string> = { tfjs: '-tfjs.zip', onnx: '.onnx', 'keras-h5': '-keras.h5' };

customElements.define('finetune-trainer', FinetuneTrainer);

declare global {
  interface HTMLElementTagNameMap {
    'finetune-trainer': FinetuneTrainer;
  }
}
