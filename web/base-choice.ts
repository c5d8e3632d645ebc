import type { LayerInfo } from '../src/protocol';
import type { BaseChoice } from './views/base-picker';

// The base picker's state in terms of the element's two settings: `base` ('vgg16', or a TF.js model as
// SOURCE#layer) and `weights` (VGG16's: random, imagenet, a .h5 URL or a picked file's cached: key).

export interface BaseSettings {
  base: string;
  weights: string;
}

/** The picker's choice the settings describe; `pending` is a choice whose file or URL is not given yet. */
export function baseChoiceOf(s: BaseSettings, pending: BaseChoice | null): BaseChoice {
  if (pending) return pending;
  if (s.base && s.base !== 'vgg16') return 'tfjs';
  return s.weights === 'random' ? 'random' : s.weights === 'imagenet' ? 'imagenet' : 'keras-h5';
}

/** A Keras file or TF.js model (and its cut) is still missing: nothing to plan or train yet. */
export function missingBaseSource(choice: BaseChoice, s: BaseSettings): boolean {
  return (choice === 'keras-h5' && !s.weights) || (choice === 'tfjs' && !s.base.includes('#'));
}

/** The settings a choice starts from (a Keras file and a TF.js model then wait for their source). */
export function settingsOfChoice(choice: BaseChoice, s: BaseSettings): BaseSettings {
  if (choice === 'random' || choice === 'imagenet') return { base: 'vgg16', weights: choice };
  return choice === 'keras-h5' ? { base: 'vgg16', weights: '' } : { base: '', weights: s.weights };
}

/** The source the picker shows (a URL or a picked files' key) and, for a TF.js model, where it is cut. */
export function sourceOf(choice: BaseChoice, s: BaseSettings): { source: string; layer: string } {
  if (choice === 'tfjs') {
    const [source = '', layer = ''] = s.base.split('#');
    return { source, layer };
  }
  return { source: choice === 'keras-h5' ? s.weights : '', layer: '' };
}

/** Where a TF.js model is cut by default: its last 4-D feature map (before pooling or flattening), else its last layer. */
export function defaultCut(layers: LayerInfo[]): string {
  const maps = layers.filter((l) => l.outputShape.length === 4);
  return (maps.at(-1) ?? layers.at(-1))!.name;
}
