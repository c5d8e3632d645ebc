import { parseArgs } from 'node:util';
import { FINETUNE_OPTIONS } from './finetune-options';
import { EXPORTERS, parseExportFormats, SOURCE_FORMAT, type FormatName } from '../src/export/formats';
import { RUN_PRESETS, type TrainConfigInput } from '../src/config';
import { flagNumber, settingsFromFlags, settingsHelp } from './setting-flags';
import { ConfigError } from '../src/errors';
import type { RecoverySettings } from '../src/protocol';
import { RECOVERY_DEFAULTS } from '../src/run/recovery';

export { inFlagTerms } from './setting-flags';

export const BUNDLED_DATASET = 'samples/flowers4';
export const BUNDLED_MODEL_DIR = 'out/flowers4';
/** Small enough to run both stages in a few minutes on a CPU; any flag given overrides it. */
export const BUNDLED_PRESET = RUN_PRESETS.quick;

/** Files as the help names them, in the output folder: OUT/model.json, OUT/weights.bin. */
function inOut(files: readonly string[]): string {
  return files.map((f) => `OUT/${f}`).join(', ');
}

export const FINETUNE_USAGE = `Usage: npx finetune-trainer --dataset DIR [--model OUT] [options]
       npm run finetune -- [--dataset DIR] [--model OUT] [options]    (in the repository)

Fine-tunes VGG16 on DIR/class_name/*.jpg in headless Chromium (the reference recipe: stage 1 trains a
new head on the frozen base, stage 2 also trains block5), then writes ${inOut(SOURCE_FORMAT.files)}
(a TF.js layers model) and OUT/report.json.

  --dataset DIR            one folder per class (default, in the repository only: the bundled
                           ${BUNDLED_DATASET}, with a quick preset: --size ${BUNDLED_PRESET.inputSize} --head-epochs ${BUNDLED_PRESET.headEpochs} --finetune-epochs ${BUNDLED_PRESET.finetuneEpochs} --batch ${BUNDLED_PRESET.batchSize})
  --model OUT              output folder (default: out/NAME, NAME being the dataset folder's; in the
                           repository, ${BUNDLED_MODEL_DIR} for the bundled data)
  --mode M                 finetune (the two stages, default) or features (the frozen base once, then
                           a softmax regression on its pooled features: the baseline to beat)
  --export F,...           also write the model in these formats (README, 'Use your model'); default:
                           ${SOURCE_FORMAT.name} only, which is always written
${EXPORTERS.filter((e) => !e.source).map((e) => `${' '.repeat(29)}${e.name}: ${inOut(e.files)}`).join('\n')}
  --no-augment             train without the recipe's augmentation
${settingsHelp()}
  --resume                 continue the interrupted run whose checkpoint is in OUT (settings and data
                           must be the same; the checkpoint's settings are used, so only --dataset,
                           --model, --weights, backends, --pixel-mb, checkpoint and fault flags may
                           be given with it)
  --restart                replace the unfinished run's checkpoint in OUT and start over
  --overwrite              replace the model and report an earlier run left in OUT
  --checkpoint-every N     also checkpoint every N batches (default: at epoch ends, at least every 60 s)
  --checkpoint-overhead X  skip an epoch-end checkpoint that would take more than this share of the
                           time since the last one (default 0.1; 1: every epoch, however long a
                           checkpoint takes)
  --fault-attempts N       faults (a lost GPU device, a failed kernel, memory running out) a run
                           survives by resuming from its last checkpoint (default 2; 0: stop at the first)
  --smaller-batch-on-oom   on running out of memory, resume with half the batch size (default: stop and
                           say which batch size to try)
  --verbose                also print the browser's console
  -h, --help               this text

Environment: CHROME_PATH points at a Chrome/Chromium binary when it is not in /usr/bin.`;

export interface FinetuneArgs {
  /** null: the bundled sample. */
  datasetDir: string | null;
  /** null: out/NAME for a dataset folder NAME (the bundled sample's own, in the repository). */
  outDir: string | null;
  config: TrainConfigInput;
  mode: 'finetune' | 'features';
  /** The formats to write (tfjs always first). */
  exports: FormatName[];
  resume: boolean;
  /** Replace an unfinished run's checkpoint (start over), or an earlier run's model and report. */
  restart: boolean;
  overwrite: boolean;
  /** Batches between checkpoints, besides every epoch and every 60 s (null: those only). */
  checkpointEvery: number | null;
  /** The largest share of time epoch-end checkpoints may take (null: the default, a tenth). */
  checkpointOverhead: number | null;
  recovery: RecoverySettings;
  verbose: boolean;
  help: boolean;
}

/** Flags that change where or how fast a resumed run goes, not what it trains: the ones --resume takes. */
export const WITH_RESUME = new Set(['dataset', 'model', 'weights', 'export', 'backend', 'finetune-backend', 'threads', 'pixel-mb', 'resume', 'checkpoint-every', 'checkpoint-overhead', 'fault-attempts', 'smaller-batch-on-oom', 'verbose', 'help']);

/** Whether the command line is asked only for its usage: answered before anything loads or builds. */
export const wantsHelp = (argv: readonly string[]): boolean => argv.includes('--help') || argv.includes('-h');

export function parseFinetuneArgs(argv: string[]): FinetuneArgs {
  const { values, tokens } = parseArgs({
    args: argv,
    strict: true,
    tokens: true,
    options: FINETUNE_OPTIONS,
  });
  if (values.restart && values.resume) throw new ConfigError('--restart and --resume contradict each other: continue the checkpoint, or replace it');
  if (values.resume) {
    const changed = [...new Set(tokens.flatMap((t) => (t.kind === 'option' && !WITH_RESUME.has(t.name) ? [`--${t.name}`] : [])))];
    if (changed.length) {
      throw new ConfigError(`${changed.join(', ')} cannot change a run with --resume: it continues with its checkpoint's settings (drop ${changed.length === 1 ? 'it' : 'them'}, or start over with --restart)`);
    }
  }
  if (values.mode !== 'finetune' && values.mode !== 'features') throw new ConfigError(`--mode must be finetune or features, got '${values.mode}'`);
  const config = settingsFromFlags(values);
  // Without --dataset, the bundled sample runs with its quick preset; a flag given still wins.
  if (values.dataset === undefined) {
    config.inputSize ??= BUNDLED_PRESET.inputSize;
    config.batchSize ??= BUNDLED_PRESET.batchSize;
    config.head = { epochs: BUNDLED_PRESET.headEpochs, ...config.head };
    config.finetune = { epochs: BUNDLED_PRESET.finetuneEpochs, ...config.finetune };
  }
  if (values['no-augment']) config.augment = null;
  const checkpointEvery = flagNumber('checkpoint-every', values['checkpoint-every']) ?? null;
  if (checkpointEvery !== null && (!Number.isInteger(checkpointEvery) || checkpointEvery < 1)) {
    throw new ConfigError(`--checkpoint-every needs a whole number of batches, 1 or more; got ${checkpointEvery}`);
  }
  const checkpointOverhead = flagNumber('checkpoint-overhead', values['checkpoint-overhead']) ?? null;
  if (checkpointOverhead !== null && !(checkpointOverhead > 0 && checkpointOverhead <= 1)) {
    throw new ConfigError(`--checkpoint-overhead needs a share above 0 and at most 1; got ${checkpointOverhead}`);
  }
  const attempts = flagNumber('fault-attempts', values['fault-attempts']) ?? RECOVERY_DEFAULTS.attempts;
  if (!Number.isInteger(attempts) || attempts < 0) throw new ConfigError(`--fault-attempts needs a whole number, 0 or more; got ${attempts}`);
  return {
    datasetDir: values.dataset ?? null,
    outDir: values.model ?? null,
    config,
    mode: values.mode,
    exports: parseExportFormats(values.export),
    resume: values.resume,
    restart: values.restart,
    overwrite: values.overwrite,
    checkpointEvery,
    checkpointOverhead,
    recovery: { attempts, smallerBatch: values['smaller-batch-on-oom'] },
    verbose: values.verbose,
    help: values.help,
  };
}

/** The command that continues this run: the flags --resume takes, as the user gave them, then --resume. */
export function resumeCommand(argv: string[], program = 'npm run finetune --'): string {
  const quote = (arg: string): string => (/^[\w./:#@=+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = /^--([\w-]+)/.exec(arg)?.[1];
    if (!name || !WITH_RESUME.has(name) || name === 'resume') continue;
    kept.push(arg);
    const takesValue = !arg.includes('=') && !['smaller-batch-on-oom', 'verbose', 'help'].includes(name);
    if (takesValue && i + 1 < argv.length) kept.push(argv[++i]!);
  }
  return [program, ...kept.map(quote), '--resume'].join(' ');
}
