import { WeightsError } from '../errors';
import type * as tf from '@tensorflow/tfjs';
import { applyKerasWeights, readKerasWeights, type H5Node } from './keras-h5';

let mounts = 0;

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]; // \x89HDF\r\n\x1a\n

/** HDF5's signature sits at byte 0, or after a user block of 512, 1024, 2048, ... bytes. */
async function isHdf5(blob: Blob): Promise<boolean> {
  for (let offset = 0; offset + 8 <= blob.size && offset <= 1 << 20; offset = offset ? offset * 2 : 512) {
    const head = new Uint8Array(await blob.slice(offset, offset + 8).arrayBuffer());
    if (SIGNATURE.every((b, i) => head[i] === b)) return true;
  }
  return false;
}

/**
 * Opens a Keras .h5 blob in the worker with h5wasm, reading it in place (WORKERFS: no copy of the file
 * into memory), and loads its weights onto `model`. A file that is not HDF5, or is truncated, is a
 * WeightsError naming it. Loaded on first use: the HDF5 library is 4 MB.
 */
export async function loadKerasFile(model: tf.LayersModel, blob: Blob, label: string): Promise<number> {
  if (!(await isHdf5(blob))) throw new WeightsError(`${label} is not an HDF5 file (${blob.size} bytes, no HDF5 signature)`);
  const h5wasm = await import('h5wasm');
  const { FS } = await h5wasm.ready;
  const dir = `/keras-${++mounts}`;
  FS.mkdir(dir);
  FS.mount(FS.filesystems['WORKERFS']!, { blobs: [{ name: 'weights.h5', data: blob }] }, dir);
  let file: InstanceType<typeof h5wasm.File> | null = null;
  try {
    try {
      file = new h5wasm.File(`${dir}/weights.h5`, 'r');
    } catch (error) {
      throw new WeightsError(`${label} could not be opened: a truncated or corrupt HDF5 file (${blob.size} bytes; ${(error as Error).message})`);
    }
    try {
      return applyKerasWeights(model, readKerasWeights(file as unknown as H5Node, label), label);
    } catch (error) {
      if (error instanceof WeightsError) throw error;
      throw new WeightsError(`${label} could not be read: a truncated or corrupt HDF5 file (${(error as Error).message})`);
    }
  } finally {
    file?.close();
    FS.unmount(dir);
    FS.rmdir(dir);
  }
}
