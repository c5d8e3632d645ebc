import { html, type TemplateResult } from 'lit';
import type { LayerInfo } from '../../src/protocol';

export interface LayersViewProps {
  layers: LayerInfo[];
  /** First layer trained in stage 2, and where the head starts. */
  unfreezeFrom: number;
  headStart: number;
  /** Stage 2 has begun: its unfreeze point can no longer move. */
  locked: boolean;
  onUnfreeze(index: number): void;
}

/** A layer's class as Keras names it (our seeded dropout is Keras' Dropout in behaviour and in the export). */
export const shownClass = (className: string): string => (className === 'StreamDropout' ? 'Dropout' : className);

/** An output shape as Keras prints it: (None, 7, 7, 512). */
export const shapeText = (l: LayerInfo): string => `(${l.outputShape.map((d) => (d === null ? 'None' : d)).join(', ')})`;

/** The model's layers, as inspect_model.py lists them, with what each stage trains. */
export function layersView(p: LayersViewProps): TemplateResult {
  const role = (i: number): string => (i >= p.headStart ? 'head: stages 1 and 2' : i >= p.unfreezeFrom ? 'stage 2' : 'frozen');
  return html`
    <section part="layers" aria-labelledby="layers-title">
      <details>
        <summary id="layers-title"><strong>Layers</strong> <span class="muted">(${p.layers.length}; stage 2 trains from layer ${p.unfreezeFrom})</span></summary>
        <table class="layer-table">
          <caption class="sr-only">Model layers</caption>
          <thead>
            <tr><th scope="col">#</th><th scope="col">Name</th><th scope="col">Type</th><th scope="col">Output shape</th><th scope="col">Parameters</th><th scope="col">Trained in</th><th scope="col">Stage 2 starts here</th></tr>
          </thead>
          <tbody>
            ${p.layers.map(
              (l) => html`<tr class=${l.index === p.unfreezeFrom ? 'unfreeze' : ''}>
                <td>${l.index}</td>
                <td>${l.name}</td>
                <td>${shownClass(l.className)}</td>
                <td>${shapeText(l)}</td>
                <td>${l.params.toLocaleString('en-US')}</td>
                <td>${l.params ? role(l.index) : ''}</td>
                <td>
                  ${l.index < p.headStart && l.params
                    ? html`<input
                        type="radio"
                        name="unfreeze"
                        aria-label="Stage 2 trains from ${l.name}"
                        .checked=${l.index === p.unfreezeFrom}
                        ?disabled=${p.locked}
                        @change=${() => p.onUnfreeze(l.index)}
                      />`
                    : ''}
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </details>
    </section>
  `;
}
