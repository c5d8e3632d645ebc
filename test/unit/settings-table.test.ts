import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINETUNE_USAGE } from '../../cli/args';
import { FINETUNE_OPTIONS } from '../../cli/finetune-options';
import { flagHelp } from '../../cli/setting-flags';
import { cacheChoice, defaultText, helpWithDefault, RECIPE_DEFAULTS, resolveConfig, type TrainConfigInput } from '../../src/config';
import { isNumberField, setAt, SETTINGS, valueAt } from '../../src/settings';

// The settings table is where each training setting is declared once; these hold what is generated from
// it to the table, and what is written by hand (the element's attribute docs) against it.

const ELEMENT = readFileSync(resolve(__dirname, '../../web/finetune-trainer.ts'), 'utf8');
const oneLine = (text: string): string => text.replace(/\s+/g, ' ');

/** A config with one setting changed, the rest the recipe's. */
function withSetting(path: string, value: unknown): TrainConfigInput {
  const input = structuredClone(RECIPE_DEFAULTS) as unknown as Record<string, unknown>;
  setAt(input, path, value);
  return input as TrainConfigInput;
}

describe('the settings table', () => {
  it("has a default for every setting in the recipe's defaults, unless it is decided at run time", () => {
    const missing = SETTINGS.filter((row) => row.path && !row.optional && valueAt(RECIPE_DEFAULTS, row.path) === undefined);
    expect(missing.map((row) => row.path)).toEqual([]);
    expect(defaultText(SETTINGS.find((row) => row.flag === 'cache')!)).toBe(cacheChoice(RECIPE_DEFAULTS.cache));
  });

  it("is what validation holds a config to: each range's ends pass, one step past them fails naming the setting", () => {
    for (const row of SETTINGS.filter((r) => r.path && (r.type === 'integer' || r.type === 'number'))) {
      const step = row.type === 'integer' ? 1 : 1e-6;
      const low = row.min ?? 0;
      if (!row.minExclusive) expect(() => resolveConfig(withSetting(row.path!, low)), row.path).not.toThrow();
      expect(() => resolveConfig(withSetting(row.path!, row.minExclusive ? low : low - step))).toThrow(new RegExp(`^${row.path!.replace('.', '\\.')} must be`));
      if (row.max !== undefined) {
        expect(() => resolveConfig(withSetting(row.path!, row.max)), row.path).not.toThrow();
        expect(() => resolveConfig(withSetting(row.path!, row.max! + step))).toThrow(new RegExp(`^${row.path!.replace('.', '\\.')} must be`));
      }
    }
    for (const row of SETTINGS.filter((r) => r.path && r.type === 'choice')) {
      for (const choice of row.choices!) expect(() => resolveConfig(withSetting(row.path!, choice))).not.toThrow();
      expect(() => resolveConfig(withSetting(row.path!, 'nonsense'))).toThrow(`${row.path} must be`);
    }
  });

  it('gives the command line its setting flags, and --help their text and default', () => {
    const help = oneLine(FINETUNE_USAGE);
    for (const row of SETTINGS.filter((r) => r.flag)) {
      expect(FINETUNE_OPTIONS).toHaveProperty([row.flag!]);
      expect(help).toContain(`--${row.flag}${row.arg ? ` ${row.arg}` : ''} ${flagHelp(row)} (default: ${defaultText(row)})`);
    }
  });

  it("gives the element its properties, and its attribute docs (the README's attribute table) are the table's", () => {
    const documented = new Map([...ELEMENT.matchAll(/^ \* @attr ([\w-]+) - (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
    const declared = new Map([...ELEMENT.matchAll(/^ {4}(\w+): \{ type: (\w+), attribute: '([\w-]+)' \},$/gm)].map((m) => [m[1]!, { type: m[2], attribute: m[3] }]));
    for (const row of SETTINGS.filter((r) => r.property)) {
      const type = row.type === 'boolean' ? 'Boolean' : isNumberField(row) ? 'Number' : 'String';
      expect(declared.get(row.property!), row.property).toEqual({ type, attribute: row.attribute });
      expect(documented.get(row.attribute!)).toBe(helpWithDefault(row));
      expect(ELEMENT).toMatch(new RegExp(`declare ${row.property}\\b`));
    }
  });
});
