// A consumer's TypeScript, checked against the installed package's typings only (strict, DOM libs,
// skipLibCheck off): the element's tag, properties, methods and typed events, and the types entry.
import { FinetuneEvent } from 'finetune-trainer';
import type { ErrorDetail, ExportFormat, FinetuneTrainer, ProgressDetail, RecipeResult, TrainConfigInput } from 'finetune-trainer/types';

const trainer: FinetuneTrainer = document.createElement('finetune-trainer');
trainer.headEpochs = 3;
trainer.inputSize = 64;
trainer.backend = 'wasm';
trainer.addEventListener('finetune-progress', (event) => {
  const detail: ProgressDetail = event.detail;
  console.log(detail.phase, detail.done, detail.total);
});
trainer.addEventListener('finetune-complete', (event) => {
  const result: RecipeResult = event.detail;
  console.log(result.classes.join(', '), result.stages.map((s) => s.stage));
});
trainer.addEventListener('finetune-error', (event: FinetuneEvent<'finetune-error'>) => {
  const error: ErrorDetail = event.detail;
  console.log(error.name, error.message);
});

const formats: ExportFormat[] = ['tfjs', 'onnx', 'keras-h5'];
export async function train(files: File[]): Promise<Blob[]> {
  const id = await trainer.importDataset('photos', { files: files.map((file) => ({ path: file.webkitRelativePath || file.name, blob: file })) });
  if (id === null) return [];
  await trainer.start();
  return Promise.all(formats.map((format) => trainer.export(format)));
}

export const settings: TrainConfigInput = { inputSize: 224, head: { epochs: 25 } };

// @ts-expect-error the element's state machine is internal, not in the typings
console.log(trainer.controller);
