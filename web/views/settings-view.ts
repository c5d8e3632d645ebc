import { html, type TemplateResult } from 'lit';
import { helpWithDefault } from '../../src/config';
import { isNumberField, SETTINGS } from '../../src/settings';

/** One setting of the form: the element property it edits, and a short explanation. */
interface Field {
  key: string;
  label: string;
  help: string;
  type: 'number' | 'text' | 'select';
  step?: number | undefined;
  min?: number | undefined;
  options?: readonly string[] | undefined;
}

/** The settings table's rows that have a label, in its order: numbers as number fields, choices as selects, words and names as text. */
const FIELDS: Field[] = SETTINGS.filter((row) => row.label && row.property).map((row) => {
  const numeric = isNumberField(row);
  return {
    key: row.property!,
    label: row.label!,
    help: helpWithDefault(row),
    type: row.type === 'choice' ? 'select' : numeric ? 'number' : 'text',
    ...(numeric ? { min: row.min, step: row.type === 'integer' ? 1 : row.step } : {}),
    options: row.choices,
  };
});

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
