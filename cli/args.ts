import { parseArgs } from 'node:util';
import { FINETUNE_OPTIONS } from './finetune-options';
import { EXPORTERS, parseExportFormats, SOURCE_FORMAT, type FormatName } from '../src/export/formats';
import { CACHE_CHOICES, cacheStages, RUN_PRESETS, type CacheChoice, type TrainConfigInput } from '../src/config';
import { ConfigError } from '../src/errors';
import { HEAD_KINDS, type BackendPreference, type Preprocessing, type RecoverySettings } from '../src/protocol';
import { RECOVERY_DEFAULTS } from '../src/run/recovery';

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
  --weights W              the base: random (untrained VGG16, seeded; the default), imagenet (Keras'
                           VGG16 file, downloaded once to ~/.keras/models), FILE.h5 or URL.h5 (Keras
                           VGG16 weights), or path/or/URL/model.json#layer (a TF.js layers model cut
                           at that layer)
  --mode M                 finetune (the two stages, default) or features (the frozen base once, then
                           a softmax regression on its pooled features: the baseline to beat)
  --export F,...           also write the model in these formats (README, 'Use your model'); default:
                           ${SOURCE_FORMAT.name} only, which is always written
${EXPORTERS.filter((e) => !e.source).map((e) => `${' '.repeat(29)}${e.name}: ${inOut(e.files)}`).join('\n')}
  --size N                 square input side, >= 32 (default 224)
  --head-epochs N          stage 1 epochs (default 25)
  --finetune-epochs N      stage 2 epochs (default 100)
  --batch N                batch size (default 32), or auto: the largest power of two up to 64 whose
                           measured training step fits the backend's memory budget
  --head-lr X|auto         stage 1 RMSprop learning rate; auto (default): a short search from the
                           recipe's 0.001 scored on the validation images, logged with what it tried
  --finetune-lr X|auto     stage 2 SGD learning rate (default auto, the same search)
  --head H                 the new head: flatten (the recipe's: flatten, Dense, Dropout, Dense), gap
                           (global average pooling, Dropout, Dense), or auto (default: flatten on
                           VGG16; on other bases the search picks between the two)
  --head-units N           units of the flatten head's hidden layer (default 256)
  --unfreeze-from L        first base layer trained in stage 2, index or name; auto (default): the
                           base's own (VGG16: 15 = block5_conv1), else its last convolutional block
  --test-fraction X        share of each class held out for the report (default 0.25)
  --val-fraction X         share of each class's training images held out to validate every epoch:
                           it picks the rates, each stage's best epoch and when to stop (default 0.15)
  --patience N|off         stop a stage after N epochs without a lower val_loss (default 5); off: every
                           epoch runs (the best epoch's weights are kept either way)
  --bn-train               train BatchNormalization layers in training mode (batch statistics, moving
                           averages updated); default: inference mode, as Keras advises when fine-tuning
  --seed N                 seed of the split, shuffles, augmentation, dropout and init (default 42)
  --preprocessing P        auto (default: what the weights expect: caffe for Keras VGG16, unit for
                           random), unit (/255), tf (-1..1) or caffe (BGR, ImageNet mean subtracted)
  --no-augment             train without the recipe's augmentation
  --cache WHICH            stages that run their frozen layers once and train on the stored outputs:
                           both (default), head (stage 1), finetune (stage 2) or none
  --cache-views N          augmented views stored per training image, besides the plain one (default 2)
  --cache-mb N             the most memory the stored outputs may take (default 1024; fewer views are
                           kept when they would take more)
  --pixel-mb N             decoded images are kept in memory up to N MB (default 512); a larger dataset
                           is decoded from its files batch by batch, 2 batches ahead
  --backend B              auto (default: measured per stage), webgpu, webgl, wasm or cpu
  --threads N              threads of the wasm backend (default: every core)
  --finetune-backend B     stage 2's backend when it should differ from --backend
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
  --max-megapixels N       refuse (skip, naming the file) images larger than N megapixels (default 120)
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

function number(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new ConfigError(`--${flag} needs a number, got '${raw}'`);
  return value;
}

/** A number, or the word that stands for the default's choice ('auto', 'off'). */
function numberOr<W extends string>(flag: string, raw: string | undefined, word: W): number | W | undefined {
  return raw === word ? word : number(flag, raw);
}

/** Flags that change where or how fast a resumed run goes, not what it trains: the ones --resume takes. */
export const WITH_RESUME = new Set(['dataset', 'model', 'weights', 'export', 'backend', 'finetune-backend', 'threads', 'pixel-mb', 'resume', 'checkpoint-every', 'checkpoint-overhead', 'fault-attempts', 'smaller-batch-on-oom', 'verbose', 'help']);

/** Whether the command line is asked only for its usage: answered before anything loads or builds. */
export const wantsHelp = (argv: readonly string[]): boolean => argv.includes('--help') || argv.includes('-h');

/** The settings' names in the trainer's messages, as the flags that set them here. */
const FLAG_OF_SETTING: Record<string, string> = {
  inputSize: '--size',
  headUnits: '--head-units',
  batchSize: '--batch',
  testFraction: '--test-fraction',
  validationFraction: '--val-fraction',
  seed: '--seed',
  patience: '--patience',
  'head.epochs': '--head-epochs',
  'finetune.epochs': '--finetune-epochs',
  'head.learningRate': '--head-lr',
  'finetune.learningRate': '--finetune-lr',
  headKind: '--head',
  preprocessing: '--preprocessing',
  backend: '--backend',
  finetuneBackend: '--finetune-backend',
  threads: '--threads',
  unfreezeFrom: '--unfreeze-from',
  'cache.views': '--cache-views',
  'cache.budgetMB': '--cache-mb',
  pixelBudgetMB: '--pixel-mb',
  maxImageMegapixels: '--max-megapixels',
};

/** A settings error as the command line's user reads it: `--size must be ...`, not `inputSize must be ...`. */
export function inFlagTerms(message: string): string {
  const name = /^([\w.]+) must\b/.exec(message)?.[1];
  const flag = name && FLAG_OF_SETTING[name];
  return flag ? `${flag}${message.slice(name.length)}` : message;
}

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
  const bundled = values.dataset === undefined;
  if (values.mode !== 'finetune' && values.mode !== 'features') throw new ConfigError(`--mode must be finetune or features, got '${values.mode}'`);
  if (!CACHE_CHOICES.includes(values.cache as CacheChoice)) throw new ConfigError(`--cache must be ${CACHE_CHOICES.join(', ').replace(/, (\w+)$/, ' or $1')}, got '${values.cache}'`);
  const preset = bundled ? BUNDLED_PRESET : undefined;
  const unfreeze = values['unfreeze-from'];
  if (values.head !== undefined && !['auto', ...HEAD_KINDS].includes(values.head)) throw new ConfigError(`--head must be auto, ${HEAD_KINDS.join(' or ')}; got '${values.head}'`);
  const patience = numberOr('patience', values.patience, 'off');
  const config: TrainConfigInput = {
    inputSize: number('size', values.size) ?? preset?.inputSize,
    batchSize: values.batch === 'auto' ? 'auto' : (number('batch', values.batch) ?? preset?.batchSize),
    headUnits: number('head-units', values['head-units']),
    testFraction: number('test-fraction', values['test-fraction']),
    seed: number('seed', values.seed),
    unfreezeFrom: unfreeze === undefined ? undefined : /^\d+$/.test(unfreeze) ? Number(unfreeze) : unfreeze,
    headKind: values.head as TrainConfigInput['headKind'],
    validationFraction: number('val-fraction', values['val-fraction']),
    patience: patience === 'off' ? null : patience,
    bnTrain: values['bn-train'] || undefined,
    preprocessing: values.preprocessing as Preprocessing | undefined,
    backend: values.backend as BackendPreference | undefined,
    finetuneBackend: values['finetune-backend'] as BackendPreference | undefined,
    weights: values.weights,
    pixelBudgetMB: number('pixel-mb', values['pixel-mb']),
    threads: number('threads', values.threads),
    maxImageMegapixels: number('max-megapixels', values['max-megapixels']),
    head: { epochs: number('head-epochs', values['head-epochs']) ?? preset?.headEpochs, learningRate: numberOr('head-lr', values['head-lr'], 'auto') },
    finetune: {
      epochs: number('finetune-epochs', values['finetune-epochs']) ?? preset?.finetuneEpochs,
      learningRate: numberOr('finetune-lr', values['finetune-lr'], 'auto'),
    },
    cache: {
      ...cacheStages(values.cache as CacheChoice),
      views: number('cache-views', values['cache-views']),
      budgetMB: number('cache-mb', values['cache-mb']),
    },
  };
  if (values['no-augment']) config.augment = null;
  const checkpointEvery = number('checkpoint-every', values['checkpoint-every']) ?? null;
  if (checkpointEvery !== null && (!Number.isInteger(checkpointEvery) || checkpointEvery < 1)) {
    throw new ConfigError(`--checkpoint-every needs a whole number of batches, 1 or more; got ${checkpointEvery}`);
  }
  const checkpointOverhead = number('checkpoint-overhead', values['checkpoint-overhead']) ?? null;
  if (checkpointOverhead !== null && !(checkpointOverhead > 0 && checkpointOverhead <= 1)) {
    throw new ConfigError(`--checkpoint-overhead needs a share above 0 and at most 1; got ${checkpointOverhead}`);
  }
  const attempts = number('fault-attempts', values['fault-attempts']) ?? RECOVERY_DEFAULTS.attempts;
  if (!Number.isInteger(attempts) || attempts < 0) throw new ConfigError(`--fault-attempts needs a whole number, 0 or more; got ${attempts}`);
  return {
    datasetDir: values.dataset ?? null,
    outDir: values.model ?? null,
    config: dropUndefined(config),
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

/** Leaves unset options out, so the recipe's defaults fill them in. */
function dropUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
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
