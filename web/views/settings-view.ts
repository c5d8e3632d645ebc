import { html, type TemplateResult } from 'lit';
import { CACHE_CHOICES } from '../../src/config';

/** One setting of the form: the element property it edits, and a short explanation. */
interface Field {
  key: string;
  label: string;
  help: string;
  type: 'number' | 'text' | 'select';
  step?: number;
  min?: number;
  options?: string[];
}

const FIELDS: Field[] = [
  { key: 'inputSize', label: 'Image size (px)', help: 'Square input side; 224 as in the recipe, 32-64 for a quick try', type: 'number', min: 32, step: 1 },
  { key: 'batchSize', label: 'Batch size', help: '32 in the recipe; smaller uses less memory', type: 'number', min: 1, step: 1 },
  { key: 'headUnits', label: 'Head units', help: 'Hidden units of the new head (the recipe: 256)', type: 'number', min: 1, step: 1 },
  { key: 'headEpochs', label: 'Stage 1 epochs', help: 'Train the new head on the frozen base (RMSprop)', type: 'number', min: 0, step: 1 },
  { key: 'headKind', label: 'Head', help: 'flatten: the recipe\'s; gap: global average pooling; auto: flatten on VGG16, measured on other bases', type: 'select', options: ['auto', 'flatten', 'gap'] },
  { key: 'headLr', label: 'Stage 1 learning rate', help: 'RMSprop; auto searches from the recipe\'s 0.001 on the validation images', type: 'text' },
  { key: 'finetuneEpochs', label: 'Stage 2 epochs', help: 'Also train the base from the unfreeze layer on (SGD)', type: 'number', min: 0, step: 1 },
  { key: 'finetuneLr', label: 'Stage 2 learning rate', help: 'SGD; auto searches as in stage 1', type: 'text' },
  { key: 'unfreezeFrom', label: 'Unfreeze from layer', help: 'Index or name; auto: the base\'s default (VGG16: 15, block5_conv1)', type: 'text' },
  { key: 'validationFraction', label: 'Validation share', help: 'Of each class\'s training images: picks rates and the best epoch, never the test images', type: 'number', min: 0, step: 0.05 },
  { key: 'patience', label: 'Patience (epochs)', help: 'Stop a stage after this many epochs without a lower validation loss; off runs every epoch', type: 'text' },
  {
    key: 'preprocessing',
    label: 'Preprocessing',
    help: "auto: what the base's weights were trained with; caffe (BGR minus ImageNet means), tf (-1 to 1) or unit (0 to 1) for a model this tool does not know",
    type: 'select',
    options: ['auto', 'caffe', 'tf', 'unit'],
  },
  { key: 'backend', label: 'Backend', help: 'auto measures what is fastest here', type: 'select', options: ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] },
  {
    key: 'cache',
    label: 'Frozen-layer cache',
    help: 'Stages that run their frozen layers once per image and view, then train on the stored outputs (much faster)',
    type: 'select',
    options: [...CACHE_CHOICES],
  },
  { key: 'cacheViews', label: 'Cached views', help: 'Augmented views stored per image besides the plain one: more is closer to fresh augmentation', type: 'number', min: 0, step: 1 },
];

export interface SettingsViewProps {
  values: Record<string, string | number>;
  disabled: boolean;
  onChange(key: string, value: string | number): void;
  /** What a newcomer decides (the base, the run's length and its estimate), above the expert settings. */
  lead: TemplateResult;
  /** The expert settings are shown (a person opened them, or picked Custom). */
  advancedOpen: boolean;
  onAdvancedToggle(open: boolean): void;
}

/** The base and the run's length first; every setting behind "Advanced". */
export function settingsView(p: SettingsViewProps): TemplateResult {
  const change = (f: Field) => (e: Event) => {
    const raw = (e.target as HTMLInputElement | HTMLSelectElement).value;
    p.onChange(f.key, f.type === 'number' ? Number(raw) : raw);
  };
  return html`
    <section part="settings" aria-labelledby="settings-title">
      <h2 id="settings-title">2. Settings</h2>
      ${p.lead}
      <details class="advanced" .open=${p.advancedOpen} @toggle=${(e: Event) => p.onAdvancedToggle((e.target as HTMLDetailsElement).open)}>
        <summary>Advanced <span class="muted">(${FIELDS.length} settings: sizes, epochs, rates, head, validation, backend, cache)</span></summary>
      <div class="fields">
        ${FIELDS.map(
          (f) => html`<div class="field">
            <label for="set-${f.key}">${f.label}</label>
            ${f.type === 'select'
              ? html`<select id="set-${f.key}" .value=${String(p.values[f.key])} ?disabled=${p.disabled} @change=${change(f)} aria-describedby="help-${f.key}">
                  ${f.options!.map((o) => html`<option value=${o} ?selected=${o === String(p.values[f.key])}>${o}</option>`)}
                </select>`
              : html`<input
                  id="set-${f.key}"
                  type=${f.type}
                  min=${f.min ?? ''}
                  step=${f.step ?? ''}
                  .value=${String(p.values[f.key])}
                  ?disabled=${p.disabled}
                  @change=${change(f)}
                  aria-describedby="help-${f.key}"
                />`}
            <small id="help-${f.key}" class="muted">${f.help}</small>
          </div>`,
        )}
      </div>
      </details>
    </section>
  `;
}
