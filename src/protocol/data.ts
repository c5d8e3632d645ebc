// A dataset as it crosses into the worker: its images (URLs or bytes) and what was left out.

/** One image of a dataset, before decoding: where to get its bytes and which class folder it sits in. */
export type DatasetItem = {
  /** Path relative to the dataset root, e.g. `daisy/img_01.jpg`; used in every message about the file. */
  path: string;
  className: string;
} & ImageBytes;

/** Where an image's bytes are: a URL the worker fetches, or the bytes themselves (a File from a picker, a stored image). */
export type ImageBytes = { url: string; blob?: never } | { blob: Blob; url?: never };

export interface DatasetSource {
  classes: string[];
  items: DatasetItem[];
}

/** One image decoded for a preview or a check: RGB bytes, or why it could not be read. */
export interface DecodedImage {
  path: string;
  pixels: Uint8Array | null;
  error: string | null;
}

export interface SkippedFile {
  path: string;
  reason: string;
}
