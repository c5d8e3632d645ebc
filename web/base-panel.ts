import type { TemplateResult } from 'lit';
import { baseChoiceOf, defaultCut, missingBaseSource, settingsOfChoice, sourceOf, type BaseSettings } from './base-choice';
import type { RunPlanner } from './run-planner';
import { basePicker, type BaseChoice } from './views/base-picker';

// The element's base picker: which base (untrained or ImageNet VGG16, a Keras file, a TF.js model cut at
// a layer), kept in the element's `base` and `weights` settings, plus the choice whose file or URL is
// still missing. The planner reads a TF.js model's layers to pick where to cut it.

export class BasePanel {
  /** The choice while its file or URL is still missing (otherwise read from base and weights). */
  private pending: BaseChoice | null = null;

  constructor(
    private readonly host: BaseSettings,
    private readonly planner: RunPlanner,
  ) {}

  choice(): BaseChoice {
    return baseChoiceOf(this.host, this.pending);
  }

  /** A Keras file or TF.js model (and its cut) is still missing: nothing to plan or train yet. */
  get missingSource(): boolean {
    return missingBaseSource(this.choice(), this.host);
  }

  /** What is still missing, in words, for the plan to say; null when nothing is. */
  get waitingFor(): string | null {
    if (!this.missingSource) return null;
    return this.choice() === 'tfjs' ? 'a TF.js model and the layer to cut it at' : 'the Keras .h5 file';
  }

  /** Settings came from elsewhere (a project's, a checkpoint's): they say the base. */
  settle(): void {
    this.pending = null;
  }

  private choose(choice: BaseChoice): void {
    this.pending = choice === 'keras-h5' || choice === 'tfjs' ? choice : null;
    this.planner.forgetLayers();
    Object.assign(this.host, settingsOfChoice(choice, this.host));
  }

  /** A Keras .h5 URL or key; or a TF.js model's, whose layers are read to pick where to cut it. */
  private async setSource(source: string): Promise<void> {
    if (this.choice() === 'keras-h5') {
      this.host.weights = source;
      if (source) this.pending = null; // given: base and weights say it from here on
      return;
    }
    this.host.base = source;
    const layers = source ? await this.planner.readLayers(source) : null;
    if (layers?.length && this.host.base === source) {
      this.host.base = `${source}#${defaultCut(layers)}`;
      this.pending = null;
    }
  }

  private async pickFiles(files: File[]): Promise<void> {
    const key = await this.planner.addFiles(files);
    if (key) await this.setSource(key);
  }

  view(disabled: boolean): TemplateResult {
    const choice = this.choice();
    const { source, layer } = sourceOf(choice, this.host);
    return basePicker({
      choice,
      source,
      layer,
      layers: this.planner.baseLayers,
      error: this.planner.baseError,
      loading: this.planner.readingBase,
      disabled,
      onChoice: (value) => this.choose(value),
      onSource: (value) => void this.setSource(value),
      onFiles: (files) => void this.pickFiles(files),
      onLayer: (name) => (this.host.base = `${source}#${name}`),
    });
  }
}
