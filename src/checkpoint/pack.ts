import type * as tf from '@tensorflow/tfjs';
import { StorageError } from '../errors';
import type { Checkpoint, EncodedWeights } from './format';
import { mapParts, partsOf } from './parts';
import type { StoredCheckpoint } from './upgrade';

const MAGIC = 0x4b434654; // 'FTCK'

/** An encoded part as the packed header describes it: its specs and byte count; its bytes follow the header. */
interface PackedPart {
  specs: tf.io.WeightsManifestEntry[];
  bytes: number;
}

/**
 * One binary file: magic, header length, JSON header, then the weights, optimizer, best and stage-1 head
 * bytes. A Blob of the parts as they are: the bytes are copied once, into the Blob (a 77 MB checkpoint
 * costs a few hundred milliseconds per copy here, most of it in fresh memory).
 */
export function packCheckpoint(c: Checkpoint): Blob {
  const header = new TextEncoder().encode(JSON.stringify(mapParts<EncodedWeights, PackedPart>(c, (w) => ({ specs: w.specs, bytes: w.data.byteLength }))));
  const lengths = new DataView(new ArrayBuffer(8));
  lengths.setUint32(0, MAGIC, true);
  lengths.setUint32(4, header.byteLength, true);
  return new Blob([lengths.buffer, header, ...partsOf(c).map((w) => w.data)]);
}

/** A checkpoint file's contents, in the format it was written in (upgrade.ts brings it to today's). */
export function unpackCheckpoint(buffer: ArrayBuffer): StoredCheckpoint {
  const view = new DataView(buffer);
  if (buffer.byteLength < 8 || view.getUint32(0, true) !== MAGIC) throw new StorageError('not a finetune-trainer checkpoint');
  const headerLength = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength))) as StoredCheckpoint<PackedPart>;
  let at = 8 + headerLength;
  const expected = partsOf(header).reduce((n, p) => n + p.bytes, at);
  if (expected !== buffer.byteLength) throw new StorageError(`checkpoint is truncated or padded: ${buffer.byteLength} bytes, expected ${expected}`);
  return mapParts(header, (part): EncodedWeights => {
    const data = buffer.slice(at, at + part.bytes);
    at += part.bytes;
    return { specs: part.specs, data };
  });
}
