import type * as tf from '@tensorflow/tfjs';
import { StorageError } from '../errors';
import type { EpochScore } from '../protocol';
import { checkpointBytes, checkpointParts, type Checkpoint, type EncodedWeights, type StageProgress } from './format';

const MAGIC = 0x4b434654; // 'FTCK'

/** An encoded part as the packed header describes it: its specs and byte count; its bytes follow the header. */
interface PackedPart {
  specs: tf.io.WeightsManifestEntry[];
  bytes: number;
}

const packed = (w: EncodedWeights): PackedPart => ({ specs: w.specs, bytes: w.data.byteLength });

/** One binary file: magic, header length, JSON header, then the weights, optimizer, best and stage-1 head bytes. */
export function packCheckpoint(c: Checkpoint): ArrayBuffer {
  const best = c.progress?.best;
  const header = new TextEncoder().encode(
    JSON.stringify({
      ...c,
      weights: packed(c.weights),
      optimizer: c.optimizer && packed(c.optimizer),
      progress: c.progress && { ...c.progress, best: best && { ...best, weights: typeof best.weights === 'object' ? packed(best.weights) : best.weights } },
      stage1Head: c.stage1Head && packed(c.stage1Head),
    }),
  );
  const out = new Uint8Array(8 + header.byteLength + checkpointBytes(c));
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.byteLength, true);
  out.set(header, 8);
  let at = 8 + header.byteLength;
  for (const part of checkpointParts(c)) {
    out.set(new Uint8Array(part.data), at);
    at += part.data.byteLength;
  }
  return out.buffer;
}

export function unpackCheckpoint(buffer: ArrayBuffer): Checkpoint {
  const view = new DataView(buffer);
  if (buffer.byteLength < 8 || view.getUint32(0, true) !== MAGIC) throw new StorageError('not a finetune-trainer checkpoint');
  const headerLength = view.getUint32(4, true);
  type Header = Omit<Checkpoint, 'weights' | 'optimizer' | 'progress' | 'stage1Head'> & {
    weights: PackedPart;
    optimizer: PackedPart | null;
    progress?: (Omit<StageProgress, 'best'> & { best: (EpochScore & { weights: PackedPart | 'current' | 'start' }) | null }) | null;
    stage1Head?: PackedPart | null;
  };
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength))) as Header;
  let at = 8 + headerLength;
  const take = (part: PackedPart): EncodedWeights => {
    const data = buffer.slice(at, at + part.bytes);
    at += part.bytes;
    return { specs: part.specs, data };
  };
  const bestPart = header.progress?.best?.weights;
  const expected = [header.weights, header.optimizer, typeof bestPart === 'object' ? bestPart : null, header.stage1Head ?? null].reduce((n, p) => n + (p?.bytes ?? 0), at);
  if (expected !== buffer.byteLength) throw new StorageError(`checkpoint is truncated or padded: ${buffer.byteLength} bytes, expected ${expected}`);
  const weights = take(header.weights);
  const optimizer = header.optimizer ? take(header.optimizer) : null;
  const best = header.progress?.best;
  const progress = header.progress ? { ...header.progress, best: best ? { ...best, weights: typeof best.weights === 'object' ? take(best.weights) : best.weights } : null } : null;
  const stage1Head = header.stage1Head ? take(header.stage1Head) : null;
  return { ...header, weights, optimizer, progress, stage1Head };
}
