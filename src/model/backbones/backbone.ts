import type { HeadKind, Preprocessing } from '../../protocol';

// What the tool knows of a backbone: enough to train on it without the user saying more. Each backbone
// is one file of this folder; index.ts lists them, and everything else asks it.

/** Stage 2's first trainable layer when the user names none (an index or a layer name), and why that one. */
export interface UnfreezeDefault {
  unfreezeFrom: number | string;
  unfreezeWhy: string;
}

/** A backbone loaded from a TF.js layers model file, known by the file's URL. */
export interface TfjsBackbone {
  /** Its name in the log and the layer inspector. */
  name: string;
  /** Whether the model.json at this URL (query left out) is this backbone. */
  match: RegExp;
  /** The pixels its weights expect: what preprocessing 'auto' takes. */
  preprocessing: Preprocessing;
  /** The layer stage 2 starts from by default. */
  unfreezeFrom: string;
}

/** The head kinds 'auto' chooses between on a base: a fixed list, or every kind its output can take (measured). */
export type HeadChoice = HeadKind[] | 'measured';
