import type { TfjsBackbone } from './backbone';
import { MOBILENET_V1 } from './mobilenet-v1';
import { MOBILENET_V2 } from './mobilenet-v2';

// The TF.js layers backbones the tool knows by their file's URL: each gets its preprocessing and its
// stage-2 layer without the user saying them. A new one is a file beside this one, listed here.

export const TFJS_BACKBONES: readonly TfjsBackbone[] = [MOBILENET_V1, MOBILENET_V2];

/** The known backbone whose file is at `url`, if any. */
export function knownBackbone(url: string): TfjsBackbone | undefined {
  return TFJS_BACKBONES.find((b) => b.match.test(url.split('?')[0]!));
}
