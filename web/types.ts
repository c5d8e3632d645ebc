// `finetune-trainer/types`: the types of the element's API, for code that only needs them.
export type { FinetuneTrainer } from './finetune-trainer';
export type { ErrorDetail, FinetuneEvent, FinetuneEventDetails, FinetuneEventType, ProgressDetail, StageDetail } from './events';
export type { ImportSource } from './import-source';
export type { CacheChoice, TrainConfigInput } from '../src/config';
export type { ExportFormat } from '../src/export/downloads';
export type { BackendPreference, EpochMetrics, Prediction, RecipeResult, StageResult, TrainConfig } from '../src/protocol';
