import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { copyValues, filledTensor, tensorOfBytes } from '../../src/backend/heap-tensor';

// Tensors filled in place (on wasm: on its heap) and read out into an array: the same values as
// tf.tensor and data() give, on wasm and elsewhere, nothing left behind when the filling throws.

const PIXELS = Uint8Array.from({ length: 2 * 3 * 3 * 3 }, (_, i) => (i * 37) % 256);

describe('tensors filled where the backend keeps them', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm']) {
    it(`on ${backend}: a batch of pixels as float32, and its values copied out at an offset`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      const before = tf.memory().numTensors;
      const filled = tensorOfBytes(PIXELS, [2, 3, 3, 3]);
      expect(filled.dtype).toBe('float32');
      expect(filled.shape).toEqual([2, 3, 3, 3]);
      expect(Array.from(await filled.data())).toEqual(Array.from(PIXELS));
      const doubled = tf.mul(filled, 2);
      const target = new Float32Array(PIXELS.length + 5).fill(-1);
      await copyValues(doubled, target, 5);
      expect(Array.from(target.subarray(0, 5))).toEqual([-1, -1, -1, -1, -1]);
      expect(Array.from(target.subarray(5))).toEqual(Array.from(PIXELS, (p) => p * 2));
      tf.dispose([filled, doubled]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it(`on ${backend}: a filling that throws, or bytes that do not fit, leave nothing behind`, async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      // The tensor's place is made before the filling: its data buffer is what must go.
      const held = (): number[] => [tf.memory().numTensors, tf.memory().numDataBuffers, tf.engine().backend.numDataIds()];
      const before = held();
      expect(() =>
        filledTensor([4], () => {
          throw new Error('unreadable');
        }),
      ).toThrow('unreadable');
      expect(held()).toEqual(before);
      expect(() => tensorOfBytes(new Uint8Array(5), [2, 3])).toThrow('5 bytes for a tensor of shape [2, 3] (6 values)');
      expect(held()).toEqual(before);
    });
  }
});
