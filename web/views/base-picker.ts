import { html, nothing, type TemplateResult } from 'lit';
import { KERAS_VGG16_NOTOP } from '../../src/model/backbones/vgg16';
import type { LayerInfo } from '../../src/protocol';
import { formatMB } from '../../src/units';
import { shapeText, shownClass } from './layers-view';

/** Where the base's weights come from, as the picker offers them. */
export type BaseChoice = 'random' | 'imagenet' | 'keras-h5' | 'tfjs';

const CHOICES: { value: BaseChoice; label: string }[] = [
  { value: 'random', label: 'VGG16, untrained (random weights)' },
  { value: 'imagenet', label: `VGG16, pretrained on ImageNet (Keras' weights, ${formatMB(KERAS_VGG16_NOTOP.expected.bytes)}, downloaded once)` },
  { value: 'keras-h5', label: 'VGG16 with weights from a Keras .h5 file' },
  { value: 'tfjs', label: 'A TF.js layers model, cut at a layer' },
];

export interface BasePickerProps {
  choice: BaseChoice;
  /** keras-h5: the .h5 URL or the picked file's cache key; tfjs: the model.json URL or the picked files' key. */
  source: string;
  /** tfjs: the layer the base ends at, and the model's layers once read. */
  layer: string;
  layers: LayerInfo[] | null;
  /** Why the picked files or the model could not be read. */
  error: string | null;
  /** Reading picked files or a model's layer list. */
  loading: boolean;
  disabled: boolean;
  onChoice(choice: BaseChoice): void;
  onSource(source: string): void;
  onFiles(files: File[]): void;
  onLayer(layer: string): void;
}


function sourceFields(p: BasePickerProps): TemplateResult {
  const h5 = p.choice === 'keras-h5';
  const picked = p.source.startsWith('cached:');
  return html`<div class="field">
      <label for="base-source">${h5 ? 'Keras .h5 weights: URL' : 'model.json URL'}</label>
      <input
        id="base-source"
        type="url"
        placeholder=${h5 ? 'https://…/vgg16_weights_notop.h5' : 'https://…/model.json'}
        .value=${picked ? '' : p.source}
        ?disabled=${p.disabled || p.loading}
        @change=${(e: Event) => p.onSource((e.target as HTMLInputElement).value.trim())}
      />
      <small class="muted">${picked ? `Using the picked file${h5 ? '' : 's'} (${p.source.slice(7, 19)}…), kept in this browser.` : 'Downloaded once, then kept in this browser.'}</small>
    </div>
    <label class="button-like">
      ${p.loading ? 'Reading…' : h5 ? 'Or pick the .h5 file…' : 'Or pick model.json and its weight files…'}
      <input
        type="file"
        accept=${h5 ? '.h5' : '.json,.bin'}
        ?multiple=${!h5}
        ?disabled=${p.disabled || p.loading}
        @change=${(e: Event) => {
          const files = [...((e.target as HTMLInputElement).files ?? [])];
          if (files.length) p.onFiles(files);
        }}
      />
    </label>`;
}

function layerField(p: BasePickerProps): TemplateResult | typeof nothing {
  if (p.choice !== 'tfjs' || !p.layers) return nothing;
  return html`<div class="field">
    <label for="base-layer">Cut the model at</label>
    <select id="base-layer" ?disabled=${p.disabled} @change=${(e: Event) => p.onLayer((e.target as HTMLSelectElement).value)}>
      ${p.layers.map((l) => html`<option value=${l.name} ?selected=${l.name === p.layer}>${l.index}. ${l.name} (${shownClass(l.className)}, ${shapeText(l)})</option>`)}
    </select>
    <small class="muted">The base ends at this layer; the new head goes on top of it.</small>
  </div>`;
}

/** Which network the run starts from: untrained or ImageNet VGG16, Keras weights, or a TF.js model and where to cut it. */
export function basePicker(p: BasePickerProps): TemplateResult {
  return html`<div class="base-picker">
    <div class="field">
      <label for="base-choice">Base network</label>
      <select id="base-choice" ?disabled=${p.disabled} @change=${(e: Event) => p.onChoice((e.target as HTMLSelectElement).value as BaseChoice)}>
        ${CHOICES.map((c) => html`<option value=${c.value} ?selected=${c.value === p.choice}>${c.label}</option>`)}
      </select>
    </div>
    ${p.choice === 'keras-h5' || p.choice === 'tfjs' ? sourceFields(p) : nothing} ${layerField(p)}
    ${p.error ? html`<p class="error" role="alert">${p.error}</p>` : nothing}
    ${p.choice === 'random'
      ? html`<p class="warn notice">Not pretrained: an untrained VGG16 shows that training works, not what fine-tuning reaches. Pick ImageNet for real use.</p>`
      : nothing}
  </div>`;
}
