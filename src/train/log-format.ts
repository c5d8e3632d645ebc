import type { EpochMetrics, RateSearch, SearchTrial, StageResult, TrainEvent } from '../protocol';
import { formatConfusion, formatReport } from './metrics';
import { MAX_RESTARTS } from './divergence';
import { formatRate } from './rate-search';
import { formatMB } from '../units';

/** How often the recipe logs decoding progress. */
export const PROCESSED_EVERY = 500;

/** The recipe's Keras-style epoch line: `10s - loss: 1.1318 - acc: 0.6245 - val_loss: 0.5132 - val_acc: 0.8441`. */
export function formatEpoch(m: EpochMetrics): string {
  const parts = [`${Math.round(m.seconds)}s`, `loss: ${m.loss.toFixed(4)}`, `acc: ${m.acc.toFixed(4)}`];
  if (m.valLoss !== null && m.valAcc !== null) parts.push(`val_loss: ${m.valLoss.toFixed(4)}`, `val_acc: ${m.valAcc.toFixed(4)}`);
  return parts.join(' - ');
}

/** Memory at an epoch's end, as the log and the UI show it. */
export function memoryText(m: Pick<EpochMetrics, 'numTensors' | 'tensorBytes' | 'dataBytes'>): string {
  return `${m.numTensors} tensors, ${formatMB(m.tensorBytes)}; images and cached outputs ${formatMB(m.dataBytes)}`;
}

const STAGE_INTRO = {
  1: ['[INFO] compiling model...', '[INFO] training head...'],
  2: ['[INFO] re-compiling model...', '[INFO] fine-tuning model...'],
} as const;
const STAGE_OUTRO = { 1: '[INFO] evaluating after initialization...', 2: '[INFO] evaluating after fine-tuning...' } as const;

/** A trial's score in a few characters: its validation loss, its training loss without validation, or 'diverged'. */
function trialScore(t: SearchTrial): string {
  if (t.diverged) return 'diverged';
  return t.valLoss !== null ? t.valLoss.toFixed(4) : (t.loss?.toFixed(4) ?? '?');
}

/** `stage 1: lr 1e-4 chosen (tried 1e-3: diverged, 3e-4: 0.7100, 1e-4: 0.4400; val_loss on 135 validation images, ...)`. */
export function describeSearch(stage: 1 | 2, search: RateSearch, chosen: SearchTrial): string {
  const heads = [...new Set(search.trials.map((t) => t.head))];
  const tried = heads
    .map((head) => {
      const rates = search.trials.filter((t) => t.head === head).map((t) => `${formatRate(t.learningRate)}: ${trialScore(t)}`);
      return `${heads.length > 1 ? `${head} head ` : ''}${rates.join(', ')}`;
    })
    .join('; ');
  const on = search.validationImages ? `val_loss on ${search.validationImages} validation images` : `training loss (no validation images)`;
  const what = heads.length > 1 ? `${chosen.head} head, lr ${formatRate(chosen.learningRate)}` : `lr ${formatRate(chosen.learningRate)}`;
  const each = `${search.epochs} epoch${search.epochs === 1 ? '' : 's'} each on ${search.trainImages} images`;
  return `stage ${stage}: ${what} chosen (tried ${tried}; ${on}, lower by more than its standard error to count, ${each}, ${Math.round(search.seconds)}s)`;
}

function reportLines(intro: string, result: StageResult, classes: string[]): string[] {
  if (!result.report || !result.confusion) return [intro, '[INFO] no test images held out: no report'];
  return [intro, formatReport(result.report), '', formatConfusion(result.confusion, classes)];
}

/** The lines the recipe prints for an event (none for the throttled batch progress). */
export function formatEvent(event: TrainEvent): string[] {
  switch (event.type) {
    case 'backend':
      return [`[INFO] ${event.choice.stage === 2 ? 'stage 2 ' : ''}backend: ${event.choice.backend} (${event.choice.detail}): ${event.choice.reason}`];
    case 'info':
      return [`[INFO] ${event.message}`];
    case 'warning':
      return [`[WARN] ${event.message}`];
    case 'status':
      return event.state === 'paused' ? [`[INFO] paused ${event.where}`.trimEnd()] : [];
    case 'decode-progress':
      return event.done % PROCESSED_EVERY === 0 || event.done === event.total ? [`[INFO] processed ${event.done}/${event.total}`] : [];
    case 'cache':
      return [
        `[INFO] stage ${event.stage}: cached ${event.layer} (${event.shape}) for ${event.images} x ${event.views} view${event.views === 1 ? '' : 's'}` +
          ` and the held-out images, ${formatMB(event.bytes)} in ${event.seconds.toFixed(1)}s, kept ${event.where === 'gpu' ? 'on the GPU' : 'in memory'}`,
      ];
    case 'download':
      return event.loaded === event.total ? [`[INFO] downloaded ${event.url} (${formatMB(event.loaded)})`] : [];
    case 'skipped':
      return [`[WARN] skipped ${event.file.path}: ${event.file.reason}`];
    case 'dataset':
      return [
        `[INFO] ${event.classes.length} classes: ${event.classes.map((c, i) => `${c} (${event.counts[i]})`).join(', ')}`,
        `[INFO] split: ${event.train} train / ${event.validation} validation / ${event.test} test (stratified)` + (event.skipped ? `; ${event.skipped} file(s) skipped` : ''),
      ];
    case 'stage-start':
      return [
        ...STAGE_INTRO[event.stage],
        `[INFO] stage ${event.stage}: layers ${event.trainableFrom}+ trainable, ${event.optimizer} lr=${event.learningRate}, ` +
          `${event.epochs} epochs x ${event.stepsPerEpoch} steps`,
      ];
    case 'epoch': {
      const m = event.metrics;
      // Memory after a stage's first and last epoch: flat when nothing leaks.
      const memory = m.epoch === 1 || m.epoch === m.epochs ? [`[INFO] memory after epoch ${m.epoch}: ${memoryText(m)}`] : [];
      return [`Epoch ${m.epoch}/${m.epochs}`, formatEpoch(m), ...memory];
    }
    case 'stage-end':
      return reportLines(STAGE_OUTRO[event.stage], event.result, event.classes);
    case 'features-end':
      return reportLines(
        `[INFO] logistic regression on ${event.features} pooled features, fitted in ${event.seconds.toFixed(1)}s; evaluating...`,
        event.result,
        event.classes,
      );
    case 'checkpoint':
      if (event.state === 'writing') return [];
      return [`[INFO] checkpoint: ${event.where} (${formatMB(event.bytes)}, ${Math.round(event.ms)} ms, ${event.sink})`];
    case 'resumed':
      return [`[INFO] resuming from ${event.from}: ${event.where}`];
    case 'fault':
      return [`[WARN] ${event.kind}: ${event.message}; ${event.action}`];
    case 'search-trial': {
      const t = event.trial;
      const score = t.valAcc !== null ? `val_acc ${t.valAcc.toFixed(4)}, val_loss ${t.valLoss!.toFixed(4)}` : 'no validation images';
      const loss = t.loss === null ? 'no epoch finished' : `loss ${t.loss.toFixed(4)}`;
      const what = event.stage === 1 ? `${t.head} head, lr` : 'lr';
      return [`[INFO] stage ${event.stage} search: ${what} ${formatRate(t.learningRate)}: ${t.diverged ? `diverged (${loss})` : `${score} (best of ${event.epochs} epochs; ${loss})`}`];
    }
    case 'search':
      return [`[INFO] ${describeSearch(event.stage, event.search, event.chosen)}`];
    case 'stage-restart':
      return [`[WARN] stage ${event.stage} diverged (${event.reason}): restarting it from its start at lr ${formatRate(event.learningRate)} (restart ${event.restarts} of at most ${MAX_RESTARTS})`];
    case 'batch':
    case 'cache-progress':
    case 'search-progress':
      return [];
  }
}

/** A cache build's progress with images and views counted apart: '130/360 passes (100 training images in 3 views, 60 held-out images once)'. */
export function cachePassesText(c: { done: number; total: number; images: number; views: number; held: number }): string {
  const views = c.views === 1 ? 'training images' : `training images in ${c.views} views`;
  return `${c.done}/${c.total} passes (${c.images} ${views}, ${c.held} held-out images once)`;
}
