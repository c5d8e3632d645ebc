import { selectBackends } from '../backend/select';
import { planWasmThreads } from '../backend/wasm-threads';
import { overlayConfig, resolveConfig, type TrainConfigInput } from '../config';
import { decodeImage } from '../data/decode';
import { splitForRun } from '../data/split';
import { loadBase } from '../model/base';
import type { LoadedBase } from '../model/loaded-base';
import { KERAS_VGG16_NOTOP, VGG16 } from '../model/backbones/vgg16';
import { parseWeights } from '../model/base-source';
import { attachHead } from '../model/head';
import { inspectLayers, requireBaseLayer } from '../model/layers';
import { buildVgg16 } from '../model/backbones/vgg16-layers';
import type { BackendChoice, LayerInfo, TrainConfig, TrainEventListener } from '../protocol';
import { getCachedBase } from '../store/bases';
import { datasetOfProject, getProject } from '../store/projects';
import type { FinetuneStore } from '../store/schema';
import { estimateRun, FEWEST_TRIALS_PER_HEAD, type RunEstimate, type RunShape } from './estimate';
import { probeCosts } from './probe-costs';

// What Start would do, shown before it: the model's layers with what each stage trains, and how long the
// run takes here, measured by a probe of a few seconds. Nothing is trained or stored.

export interface RunPlan {
  config: TrainConfig;
  base: { label: string; download: number | null };
  backend: BackendChoice;
  layers: LayerInfo[];
  headStart: number;
  unfreezeFrom: number;
  shape: RunShape;
  estimate: RunEstimate;
  /** Seconds the plan itself took (the probe included). */
  probeSeconds: number;
}

/** Batch size the estimate assumes when the run picks one itself ('auto'): the recipe's. */
const AUTO_BATCH_GUESS = 32;
const PROBE_IMAGES = 6;

/**
 * The base as the run will load it, or, where that needs a download (Keras' ImageNet weights not cached
 * yet), VGG16's architecture: the same layers and costs, without downloading its weights.
 */
async function planBase(config: TrainConfig, db: () => Promise<FinetuneStore>, emit: TrainEventListener): Promise<{ base: LoadedBase; download: number | null }> {
  const source = parseWeights(config.weights);
  const context = { seed: config.seed, inputSize: config.inputSize, preprocessing: config.preprocessing, db, emit };
  if (source.kind !== 'keras-h5' || (await getCachedBase(await db(), source.url))) return { base: await loadBase(source, context), download: null };
  const imagenet = source.url === KERAS_VGG16_NOTOP.url;
  return {
    base: {
      model: buildVgg16({ inputSize: config.inputSize, init: 'zeros' }),
      label: imagenet ? "VGG16 with Keras' ImageNet weights (downloaded when training starts)" : `VGG16 with Keras weights from ${source.url} (downloaded when training starts)`,
      preprocessing: 'caffe',
      inputSize: config.inputSize,
      identity: '',
      ...VGG16.defaults,
    },
    download: source.expected?.bytes ?? null,
  };
}

/** The split the run will make, counted from the stored images' classes (the same seeded functions). */
function splitCounts(classes: string[], classNames: string[], config: TrainConfig): Pick<RunShape, 'images' | 'train' | 'validation' | 'test'> {
  const labels = classNames.map((c) => classes.indexOf(c));
  const split = splitForRun(labels, classes.length, config);
  return { images: labels.length, train: split.train.length, validation: split.validation.length, test: split.test.length };
}

async function secondsOf<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - start) / 1000 };
}

/**
 * Plans a run of the stored project with `change` laid over its settings. The page runs plans in a worker
 * of their own and stops one by ending that worker: one probe call can take minutes on the cpu backend.
 */
export async function planRun(
  db: () => Promise<FinetuneStore>,
  projectId: string,
  change: TrainConfigInput,
  emit: TrainEventListener = () => undefined,
): Promise<RunPlan> {
  const started = performance.now();
  const store = await db();
  const config = resolveConfig(overlayConfig((await getProject(store, projectId)).config, change));
  planWasmThreads(config.threads);
  const [backend] = await selectBackends(config.backend);
  const dataset = await datasetOfProject(store, projectId);
  const decoding = await secondsOf(async () => {
    for (const item of dataset.items.slice(0, PROBE_IMAGES)) await decodeImage(item, config.inputSize).catch(() => null);
  });
  const loading = await secondsOf(() => planBase(config, db, emit));
  const { base, download } = loading.value;
  let model = base.model;
  try {
    model = attachHead(base.model, {
      kind: config.headKind === 'auto' ? base.heads[0]! : config.headKind,
      classes: dataset.classes.length,
      units: config.headUnits,
      dropout: config.dropout,
      seed: config.seed,
    });
    const headStart = base.model.layers.length;
    const unfreezeFrom = requireBaseLayer(model, config.unfreezeFrom === 'auto' ? base.unfreezeFrom : config.unfreezeFrom, headStart);
    const batchSize = config.batchSize === 'auto' ? AUTO_BATCH_GUESS : config.batchSize;
    const views = config.augment ? config.cache.views : 0;
    // As settleStage searches: a climb per head kind for an 'auto' rate, one trial per kind for a fixed rate with a kind to choose.
    const trials = (stage: 1 | 2): number => {
      const rate = stage === 1 ? config.head.learningRate : config.finetune.learningRate;
      const heads = stage === 1 && config.headKind === 'auto' ? base.heads.length : 1;
      return rate === 'auto' ? FEWEST_TRIALS_PER_HEAD * heads : heads > 1 ? heads : 0;
    };
    const shape: RunShape = {
      ...splitCounts(dataset.classes, dataset.items.map((i) => i.className), config),
      batchSize,
      stages: {
        1: { epochs: config.head.epochs, cached: config.cache.head, views, searchTrials: trials(1) },
        2: { epochs: config.finetune.epochs, cached: config.cache.finetune, views, searchTrials: trials(2) },
      },
    };
    const layers = inspectLayers(model);
    const costs = await probeCosts({
      model,
      classes: dataset.classes.length,
      batchSize,
      stages: {
        1: { from: headStart, optimizer: config.head.optimizer, epochs: config.head.epochs },
        2: { from: unfreezeFrom, optimizer: config.finetune.optimizer, epochs: config.finetune.epochs },
      },
      decodePerImage: decoding.seconds / Math.max(1, Math.min(PROBE_IMAGES, dataset.items.length)),
      loadBase: loading.seconds,
    });
    return {
      config,
      base: { label: base.label, download },
      backend,
      layers,
      headStart,
      unfreezeFrom,
      shape,
      estimate: estimateRun(shape, costs),
      probeSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    model.dispose();
  }
}
