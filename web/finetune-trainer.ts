// <finetune-trainer>: fine-tune a CNN on your own image folders, in the browser. One import:
//   import 'finetune-trainer/web/finetune-trainer';
//   <finetune-trainer head-epochs="25" finetune-epochs="100"></finetune-trainer>
import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { RUN_PRESETS, type CacheChoice, type RunPresetName, type TrainConfigInput } from '../src/config';
import { ConfigError } from '../src/errors';
import { DOWNLOAD_FORMATS, type ExportFormat } from '../src/export/downloads';
import type { BackendPreference, Prediction, Preprocessing, TrainConfig } from '../src/protocol';
import type { ImportSource } from './import-source';
import { BasePanel } from './base-panel';
import { configOf, defaultSettings, formValues, presetOf, presetSettings, settingsOf } from './element-config';
import { download, modelFileName } from './element-downloads';
import { layersPanel } from './layers-panel';
import { RunPlanner } from './run-planner';
import { runPanel } from './run-panel';
import { TrainingController } from './training-controller';
import { datasetView } from './views/dataset-view';
import './views/ft-chart';
import { importView } from './views/import-view';
import { planView } from './views/plan-view';
import { runToolbar } from './views/run-toolbar';
import { settingsView } from './views/settings-view';
import { elementStyles } from './views/element-styles';
import { styles } from './views/styles';

export * from './events';
export type { CacheChoice } from '../src/config';

/**
 * Drop in, pick a folder of class folders, train. Attributes set the recipe's numbers (the form edits
 * the same properties); methods drive it from code; `finetune-*` events report what happens.
 *
 * @attr project - the stored project to show and train (its id); set by importing, or from outside
 * @attr preset - sets input size, epochs and batch size at once: quick (32 px, 30 + 20 epochs, batch 8) or recipe (224 px, 25 + 100, batch 32)
 * @attr base - 'vgg16' (default), or a TF.js layers model as URL/model.json#layer
 * @attr weights - VGG16's weights: random (default), imagenet, a Keras .h5 URL, or cached:<sha256>
 * @attr input-size - square input side in pixels, 32 to 1024 (32-64 for a quick try) (default: 224)
 * @attr batch-size - images per batch (smaller uses less memory) (default: 32)
 * @attr head-units - hidden units of the flatten head's Dense layer (default: 256)
 * @attr head-epochs - stage 1 epochs: the new head on the frozen base (0 skips the stage) (default: 25)
 * @attr head - the new head: flatten (the recipe's: Flatten, Dense, Dropout, Dense), gap (global average pooling, Dropout, Dense), or auto (flatten on VGG16; on other bases the search picks) (default: auto)
 * @attr head-lr - stage 1's RMSprop learning rate, or auto: a short search from the recipe's 0.001, scored on the validation images (default: auto)
 * @attr finetune-epochs - stage 2 epochs: the base trained too, from the unfreeze layer on (0 skips the stage) (default: 100)
 * @attr finetune-lr - stage 2's SGD learning rate, or auto: the same search (default: auto)
 * @attr unfreeze-from - the first base layer stage 2 trains, by index or name; auto: the base's own (VGG16: 15, block5_conv1), else its last convolutional block (default: auto)
 * @attr validation-fraction - share of each class's training images that validates every epoch: it picks the rates, each stage's best epoch and when to stop (never the test images) (default: 0.15)
 * @attr patience - stop a stage after N epochs without a lower validation loss; off: every epoch runs (the best epoch's weights are kept either way) (default: 5)
 * @attr preprocessing - how pixels are scaled for the base: auto (what its weights expect: caffe for Keras VGG16, unit for random), unit (/255), tf (-1..1) or caffe (BGR, ImageNet mean subtracted); a TF.js model this tool does not know needs one (default: auto)
 * @attr backend - auto (the fastest measured here, per stage), webgpu, webgl, wasm or cpu (default: auto)
 * @attr threads - threads of the wasm backend (needs a cross-origin isolated page); the log says how many ran and why fewer (default: every core)
 * @attr cache - stages that run their frozen layers once per image and view, then train on the stored outputs (much faster): both, head (stage 1), finetune (stage 2) or none (default: both)
 * @attr cache-views - augmented views stored per training image besides the plain one: more is closer to fresh augmentation (default: 2)
 * @attr bn-train - train BatchNormalization layers in training mode (batch statistics, moving averages updated); without it, inference mode, as Keras advises when fine-tuning (default: off)
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
  static override styles = [styles, elementStyles];

  static override properties = {
    project: { type: String, reflect: true },
    preset: { type: String },
    base: { type: String },
    weights: { type: String },
    preprocessing: { type: String, attribute: 'preprocessing' },
    inputSize: { type: Number, attribute: 'input-size' },
    headUnits: { type: Number, attribute: 'head-units' },
    headEpochs: { type: Number, attribute: 'head-epochs' },
    finetuneEpochs: { type: Number, attribute: 'finetune-epochs' },
    headLr: { type: String, attribute: 'head-lr' },
    finetuneLr: { type: String, attribute: 'finetune-lr' },
    headKind: { type: String, attribute: 'head' },
    validationFraction: { type: Number, attribute: 'validation-fraction' },
    patience: { type: String, attribute: 'patience' },
    bnTrain: { type: Boolean, attribute: 'bn-train' },
    batchSize: { type: Number, attribute: 'batch-size' },
    unfreezeFrom: { type: String, attribute: 'unfreeze-from' },
    backend: { type: String, attribute: 'backend' },
    threads: { type: Number, attribute: 'threads' },
    cache: { type: String, attribute: 'cache' },
    cacheViews: { type: Number, attribute: 'cache-views' },
    smallerBatchOnOom: { type: Boolean, attribute: 'smaller-batch-on-oom' },
  };

  // Each property's documentation is its attribute's @attr line above: one text for both (the settings'
  // come from src/settings.ts, and test/unit/settings-table.test.ts holds these lines and properties to it).
  declare project: string;
  declare preset: string;
  declare base: string;
  declare weights: string;
  declare preprocessing: Preprocessing | 'auto';
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
  declare batchSize: number | 'auto';
  declare unfreezeFrom: string;
  declare backend: BackendPreference;
  declare threads: number | undefined;
  declare cache: CacheChoice;
  declare cacheViews: number;
  declare smallerBatchOnOom: boolean;
  /** "Start over…" was pressed: the toolbar asks before the checkpoint is thrown away. */
  private confirmingRestart = false;
  /** The expert settings are open. */
  private advancedOpen = false;

  /** @internal The element's state machine and its worker; not part of the public API. */
  readonly controller = new TrainingController(this);
  /** @internal The plan and estimate of what Start would run, kept current as the settings change. */
  readonly planner = new RunPlanner(this, this.controller.client);
  private readonly basePanel = new BasePanel(this, this.planner);

  constructor() {
    super();
    Object.assign(this, { project: '', preset: '', smallerBatchOnOom: false, ...defaultSettings() });
  }

  /** @internal The settings as the trainer takes them. */
  trainConfig(): TrainConfigInput {
    return configOf(this);
  }

  /** @internal Shows a project's (or a resumed checkpoint's) settings in the form, so the next start uses them. */
  applyConfig(config: TrainConfig): void {
    this.basePanel.settle();
    if (config.weights.includes('#')) void this.planner.readLayers(config.weights.split('#')[0]!);
    Object.assign(this, settingsOf(config, this));
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    // A preset fills in the numbers the page left at the recipe's (an attribute of its own wins, as a flag does in the CLI).
    if (changed.has('preset') && this.preset in RUN_PRESETS) this.usePreset(this.preset as RunPresetName, true);
    if (changed.has('project') && this.project && this.project !== this.controller.project?.id) void this.controller.loadProject(this.project);
    const c = this.controller;
    const settled = !!c.project && (!this.project || this.project === c.project.id);
    this.planner.follow(c.project?.id ?? null, { settled, busy: this.controller.busy, missingBase: this.basePanel.missingSource, config: () => this.trainConfig() });
  }

  /** Sets a preset's numbers; `onlyDefaults`: only those still at the recipe's. */
  private usePreset(name: RunPresetName, onlyDefaults = false): void {
    const defaults = defaultSettings();
    const values = Object.entries(presetSettings(name)).filter(([key]) => !onlyDefaults || this[key as keyof typeof defaults] === defaults[key as keyof typeof defaults]);
    Object.assign(this, Object.fromEntries(values));
  }

  /** Trains the project from the start (or, with `resume`, from its last checkpoint). */
  async start(resume = false): Promise<void> {
    // No probe starts during the run, and one in progress stops at its next call (it would share the worker's cores).
    return this.planner.holding(() => {
      const project = this.controller.project;
      const plan = project && !resume ? this.planner.planOf(project.id, this.trainConfig()) : null;
      return this.controller.start(resume, plan?.estimate ?? null);
    });
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
    return this.planner.holding(() => this.controller.predict(images));
  }
  /**
   * The trained model. 'tfjs' (default): a zip of model.json and weights.bin, as tf.loadLayersModel
   * reads them; 'onnx': an ONNX model that takes RGB pixels 0-255 (preprocessing inside); 'keras-h5':
   * the weights in Keras' save_weights layout.
   */
  export(format: ExportFormat = 'tfjs'): Promise<Blob> {
    if (!(DOWNLOAD_FORMATS as readonly string[]).includes(format)) return Promise.reject(new ConfigError(`export takes ${DOWNLOAD_FORMATS.join(', ')}; got '${String(format)}'`));
    return this.planner.holding(() => this.controller.exportModel(format));
  }

  private baseLead(disabled: boolean): TemplateResult {
    const c = this.controller;
    const plan = c.project ? this.planner.planOf(c.project.id, this.trainConfig()) : null;
    return html`${this.basePanel.view(disabled)}
      ${planView({
        preset: presetOf(this),
        plan,
        planning: this.planner.planning,
        planError: this.basePanel.missingSource ? null : this.planner.error,
        waitingFor: this.basePanel.waitingFor,
        disabled,
        startingOver: c.project?.cursor?.done === false,
        onPreset: (name) => {
          if (name === 'custom') this.advancedOpen = true;
          else this.usePreset(name);
          this.requestUpdate();
        },
      })}`;
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
    download(await this.export(format), modelFileName(this.controller.project?.name, format));
  }

  override render(): TemplateResult {
    const c = this.controller;
    const busy = this.controller.busy;
    const starting = c.status === 'preparing';
    const canResume = c.project?.cursor?.done === false && !busy;
    return html`
      <div class="sr-only" role="status" aria-live="polite">${c.announcement}</div>
      ${c.error ? html`<p class="error" role="alert">${c.error.name}: ${c.error.message}</p>` : nothing}
      ${c.project
        ? datasetView({ project: c.project, counts: c.classCounts, thumbnails: c.thumbnails, warnings: c.classWarnings })
        : importView({ busy, progress: c.progress.decode, onImport: (source, name) => void this.importDataset(name, source) })}
      ${c.project
        ? html`${settingsView({
              values: formValues(this),
              disabled: busy,
              onChange: (key, value) => Object.assign(this, { [key]: value }),
              lead: this.baseLead(busy),
              advancedOpen: this.advancedOpen,
              onAdvancedToggle: (open) => (this.advancedOpen = open),
            })}
            ${layersPanel(c, this.planner, { config: this.trainConfig(), busy, onPlannedUnfreeze: (index) => (this.unfreezeFrom = String(index)) })}
            ${runToolbar({
              resumable: canResume ? c.project.checkpoint : null,
              busy,
              startBlocked: this.planner.held || this.basePanel.missingSource,
              starting,
              confirming: this.confirmingRestart,
              onConfirming: (asking) => ((this.confirmingRestart = asking), this.requestUpdate()),
              onStart: (resume) => void this.start(resume),
              onClose: () => this.closeProject(),
            })}`
        : nothing}
      ${runPanel(c, {
        onPause: () => void this.pause(),
        onResume: () => void this.resume(),
        onCancel: () => void this.cancel(),
        onDownloadModel: (format) => void this.downloadModel(format),
      })}
    `;
  }
}

customElements.define('finetune-trainer', FinetuneTrainer);

declare global {
  interface HTMLElementTagNameMap {
    'finetune-trainer': FinetuneTrainer;
  }
}
