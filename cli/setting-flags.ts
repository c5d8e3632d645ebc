import { ConfigError } from '../src/errors';
import { cacheStages, defaultText, type CacheChoice, type TrainConfigInput } from '../src/config';
import { listOf, setAt, SETTINGS, type Setting } from '../src/settings';

// The training settings as command-line flags, from the settings table: the options parseArgs reads,
// the values it hands back as a config, the flag a settings error names, and the flags' --help lines.

type FlagRow = Setting & { flag: string };
const FLAG_ROWS = SETTINGS.filter((s): s is FlagRow => s.flag !== undefined);

/** The settings' options, as parseArgs reads them (switches are off unless given). */
export const SETTING_OPTIONS: Record<string, { type: 'string' } | { type: 'boolean'; default: false }> = Object.fromEntries(
  FLAG_ROWS.map((row) => [row.flag, row.type === 'boolean' ? { type: 'boolean', default: false } : { type: 'string' }]),
);

/** A flag's number, or undefined where the flag is not given; text that is no number names the flag. */
export function flagNumber(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new ConfigError(`--${flag} needs a number, got '${raw}'`);
  return value;
}

/** One flag's text as the config holds it: a number, a word ('off' is null), a choice, a layer index or name. */
function flagValue(row: FlagRow, raw: string | boolean): unknown {
  if (typeof raw === 'boolean') return raw || undefined;
  if (row.words?.includes(raw as 'auto')) return raw === 'off' ? null : raw;
  switch (row.type) {
    case 'integer':
    case 'number':
      return flagNumber(row.flag, raw);
    case 'choice':
      if (!row.choices!.includes(raw)) throw new ConfigError(`--${row.flag} must be ${listOf(row.choices!)}; got '${raw}'`);
      return raw;
    case 'layer':
      return /^\d+$/.test(raw) ? Number(raw) : raw;
    default:
      return raw;
  }
}

/** The settings the flags give (what is not given is left out, for the defaults to fill). */
export function settingsFromFlags(values: Record<string, string | boolean | undefined>): TrainConfigInput {
  const config: Record<string, unknown> = {};
  for (const row of FLAG_ROWS) {
    const raw = values[row.flag];
    if (raw === undefined) continue;
    const value = flagValue(row, raw);
    if (value === undefined) continue;
    if (row.path) setAt(config, row.path, value);
    else if (row.flag === 'cache') config['cache'] = { ...(config['cache'] as object), ...cacheStages(value as CacheChoice) };
    else throw new Error(`the settings table's --${row.flag} sets no path`);
  }
  return config as TrainConfigInput;
}

/** A settings error as the command line's user reads it: `--size must be ...`, not `inputSize must be ...`. */
export function inFlagTerms(message: string): string {
  const name = /^([\w.]+) must\b/.exec(message)?.[1];
  const flag = name && FLAG_ROWS.find((row) => row.path === name)?.flag;
  return flag ? `--${flag}${message.slice(name.length)}` : message;
}

const HELP_COLUMN = 27;
const HELP_WIDTH = 104;

/** `text`, then `(default: X)` kept on one line, in lines of at most HELP_WIDTH, each after the help column. */
function wrapped(text: string, shownDefault: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of [...text.split(' '), `(default: ${shownDefault})`]) {
    if (line && HELP_COLUMN + line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line].join(`\n${' '.repeat(HELP_COLUMN)}`);
}

/** A setting's help as the command line gives it: with what its words mean where only the command line takes them. */
export function flagHelp(row: Setting): string {
  return row.wordsHelp ? `${row.help}, or ${row.wordsHelp}` : row.help;
}

/** The settings' lines of --help: flag, value name, help text and default, as the table has them. */
export function settingsHelp(): string {
  return FLAG_ROWS.map((row) => {
    const flag = `  --${row.flag}${row.arg ? ` ${row.arg}` : ''}`;
    return `${flag.padEnd(HELP_COLUMN - 2)}  ${wrapped(flagHelp(row), defaultText(row))}`;
  }).join('\n');
}
