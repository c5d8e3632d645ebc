import type { ParseArgsConfig } from 'node:util';
import { SOURCE_FORMAT } from '../src/export/formats';
import { SETTING_OPTIONS } from './setting-flags';

/** The command line's own options: what to train on, where to write, how the run goes (the training settings come from the settings table). */
export const RUN_OPTIONS = {
  dataset: { type: 'string' },
  model: { type: 'string' },
  mode: { type: 'string', default: 'finetune' },
  export: { type: 'string', default: SOURCE_FORMAT.name },
  'no-augment': { type: 'boolean', default: false },
  resume: { type: 'boolean', default: false },
  restart: { type: 'boolean', default: false },
  overwrite: { type: 'boolean', default: false },
  'checkpoint-every': { type: 'string' },
  'checkpoint-overhead': { type: 'string' },
  'fault-attempts': { type: 'string' },
  'smaller-batch-on-oom': { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

/** Every option, as parseArgs reads them (the README's options table is checked against these). */
export const FINETUNE_OPTIONS = { ...SETTING_OPTIONS, ...RUN_OPTIONS } satisfies ParseArgsConfig['options'];
