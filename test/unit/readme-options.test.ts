import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINETUNE_USAGE } from '../../cli/args';
import { FINETUNE_OPTIONS } from '../../cli/finetune-options';
import { defaultText } from '../../src/config';
import { SETTINGS } from '../../src/settings';
import { DEFAULT_CHECKPOINT_POLICY } from '../../src/train/checkpointer';
import { RECOVERY_DEFAULTS } from '../../src/run/recovery';

// The README's table of command-line options, held against the options the command line parses, its
// --help, and the defaults the code runs with: the table cannot drift from what the tool does.

const README = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');

/** Each option of the README's table with its default column: `| \`--size N\` | 224 | ... |`, two flags a row at most. */
function readmeOptions(): Map<string, string> {
  const table = README.slice(README.indexOf('| option | default | meaning |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  const options = new Map<string, string>();
  for (const row of rows) {
    const [, flags, defaults] = row.split('|').map((cell) => cell.trim());
    const names = [...flags!.matchAll(/`--([\w-]+)/g)].map((m) => m[1]!);
    const values = defaults!.split(',').map((v) => v.trim().replace(/`/g, ''));
    names.forEach((name, i) => options.set(name, names.length > 1 && values.length === names.length ? values[i]! : values.join(', ')));
  }
  return options;
}

/** The defaults the code runs with: the settings table's (read from the recipe's defaults at each row's path), and the command line's own. */
const CODE_DEFAULTS: Record<string, unknown> = {
  ...Object.fromEntries(SETTINGS.filter((row) => row.flag && (row.path || row.flag === 'cache')).map((row) => [row.flag, defaultText(row)])),
  'checkpoint-overhead': DEFAULT_CHECKPOINT_POLICY.maxOverhead,
  'fault-attempts': RECOVERY_DEFAULTS.attempts,
  mode: FINETUNE_OPTIONS.mode.default,
  export: FINETUNE_OPTIONS.export.default,
};

describe("the README's options table", () => {
  const table = readmeOptions();
  const parsed = Object.keys(FINETUNE_OPTIONS).filter((name) => name !== 'help');

  it('lists every option the command line takes, and no other', () => {
    expect([...table.keys()].sort()).toEqual([...parsed].sort());
  });

  it('and so does --help', () => {
    const inHelp = [...FINETUNE_USAGE.matchAll(/^ {2}(?:-\w, )?--([\w-]+)/gm)].map((m) => m[1]!).filter((name) => name !== 'help');
    expect([...inHelp].sort()).toEqual([...parsed].sort());
  });

  it('gives the defaults the code runs with', () => {
    const drift = Object.entries(CODE_DEFAULTS).filter(([name, value]) => table.get(name) !== String(value));
    expect(drift.map(([name, value]) => `--${name}: README ${table.get(name)}, code ${String(value)}`)).toEqual([]);
    // Boolean switches are off unless given.
    const switches = parsed.filter((name) => FINETUNE_OPTIONS[name as keyof typeof FINETUNE_OPTIONS].type === 'boolean');
    expect(switches.filter((name) => table.get(name) !== 'off')).toEqual([]);
  });

  it('reads the table it checks (a drifted row is caught)', () => {
    expect(table.get('size')).toBe('224');
    expect(table.get('cache-views')).toBe('2');
    expect(table.get('cache-mb')).toBe('1024');
    expect(table.size).toBeGreaterThan(30);
  });
});
