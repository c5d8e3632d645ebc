import { describePixels, loadPixels, type PixelDataset } from '../data/load';
import { splitForRun, type Split } from '../data/split';
import { DatasetError } from '../errors';
import type { DatasetSource, SkippedFile, TrainConfig, TrainEventListener } from '../protocol';
import { MB } from '../units';
import { datasetKey } from './resume';
import { PREFETCH_BATCHES } from './stage-types';

// A run's images: decoded (or left to decode batch by batch), checked against a checkpoint's dataset,
// split for training, validation and the report, and said in the log as the recipe says them.

export interface RunData {
  data: PixelDataset;
  split: Split;
  /** Images per class. */
  counts: number[];
  /** Every file left out: the caller's, and those that did not decode. */
  skipped: SkippedFile[];
  /** The decoded dataset's identity, kept in checkpoints. */
  key: string;
}

type DataSettings = Pick<TrainConfig, 'inputSize' | 'pixelBudgetMB' | 'maxImageMegapixels' | 'testFraction' | 'validationFraction' | 'seed'>;

/** The images of `dataset` for a run; `resumingKey`: a checkpoint's dataset key, which they must match. */
export async function loadRunData(dataset: DatasetSource, root: string, given: SkippedFile[], config: DataSettings, resumingKey: string | null, emit: TrainEventListener): Promise<RunData> {
  emit({ type: 'info', message: `loading ${dataset.items.length} images from ${root} at ${config.inputSize}x${config.inputSize}...` });
  const skipped: SkippedFile[] = [...given];
  for (const file of skipped) emit({ type: 'skipped', file });
  const progress = {
    onProgress: (done: number, total: number) => emit({ type: 'decode-progress', done, total }),
    onSkipped: (file: SkippedFile) => {
      skipped.push(file);
      emit({ type: 'skipped', file });
    },
  };
  const data = await loadPixels(dataset, config.inputSize, root, progress, config.pixelBudgetMB * MB, config.maxImageMegapixels);
  emit({ type: 'info', message: describePixels(data, config.pixelBudgetMB, PREFETCH_BATCHES) });
  const key = datasetKey(data);
  if (resumingKey !== null && resumingKey !== key) {
    throw new DatasetError(
      `${root} is not the dataset the checkpoint was trained on (${resumingKey.split(':')[0]} images then, ` +
        `${data.paths.length} usable now, or other files): restore those files, or start a new run`,
    );
  }
  const split = splitForRun(Array.from(data.labels), data.classes.length, config);
  for (const c of split.untested) {
    emit({ type: 'warning', message: `class '${data.classes[c]}' has a single image: it is trained on but not in the report` });
  }
  const counts = data.classes.map((_, c) => data.labels.filter((l) => l === c).length);
  emit({ type: 'dataset', classes: data.classes, counts, train: split.train.length, validation: split.validation.length, test: split.test.length, skipped: skipped.length });
  return { data, split, counts, skipped, key };
}
