import type { Expected } from '../data/download';
import { ConfigError } from '../errors';
import { KERAS_VGG16_NOTOP } from './backbones/vgg16';

/** Where a base's weights come from, parsed from the `weights` setting. */
export type BaseSource =
  | { kind: 'random' }
  /** Keras .h5 weights for VGG16, by URL ('imagenet' is Keras' own file). */
  | { kind: 'keras-h5'; url: string; expected?: Expected }
  /** Files the user picked, already in the base cache under their SHA-256 (a TF.js model: cut at `layer`). */
  | { kind: 'cached'; sha256: string; layer?: string }
  /** A TF.js layers model (model.json + shards), cut at `layer`. */
  | { kind: 'tfjs'; url: string; layer: string };

/**
 * `random` | `imagenet` | `URL.h5` | `cached:SHA256[#layer]` | `URL/model.json#layer_name`, or a ConfigError
 * that lists the forms.
 */
export function parseWeights(weights: string): BaseSource {
  const value = weights.trim();
  if (value === 'random') return { kind: 'random' };
  if (value === 'imagenet') return { kind: 'keras-h5', url: KERAS_VGG16_NOTOP.url, expected: KERAS_VGG16_NOTOP.expected };
  const cached = /^cached:([0-9a-f]{64})(?:#(.+))?$/.exec(value);
  if (cached) return cached[2] ? { kind: 'cached', sha256: cached[1]!, layer: cached[2] } : { kind: 'cached', sha256: cached[1]! };
  const hash = value.indexOf('#');
  if (hash > 0 && value.slice(0, hash).split('?')[0]!.endsWith('.json') && value.length > hash + 1) {
    return { kind: 'tfjs', url: value.slice(0, hash), layer: value.slice(hash + 1) };
  }
  if (value.split(/[?#]/)[0]!.toLowerCase().endsWith('.h5')) {
    return { kind: 'keras-h5', url: value, expected: value === KERAS_VGG16_NOTOP.url ? KERAS_VGG16_NOTOP.expected : undefined };
  }
  throw new ConfigError(
    `weights '${weights}' is none of: random, imagenet (Keras' VGG16 file), a URL of a Keras .h5 file, ` +
      'cached:<sha256>[#layer] (picked files), or URL/model.json#layer_name (a TF.js layers model cut at that layer)',
  );
}
