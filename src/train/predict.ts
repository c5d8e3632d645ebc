import * as tf from '@tensorflow/tfjs';
import { tensorOfBytes } from '../backend/heap-tensor';
import { decodeImage } from '../data/decode';
import { preprocess } from '../data/preprocess';
import type { Prediction, Preprocessing } from '../protocol';

/** Decodes each image as training did, runs the model, and keeps the `top` most likely classes. */
export async function predictImages(
  model: tf.LayersModel,
  images: { name: string; blob: Blob }[],
  options: { inputSize: number; preprocessing: Preprocessing; classes: string[]; top: number },
): Promise<Prediction[]> {
  const { inputSize, preprocessing, classes, top } = options;
  const out: Prediction[] = [];
  for (const image of images) {
    let pixels: Uint8Array;
    try {
      pixels = await decodeImage({ blob: image.blob }, inputSize);
    } catch (error) {
      out.push({ name: image.name, top: [], error: `${image.name} ${(error as Error).message}` });
      continue;
    }
    const probabilities = tf.tidy(() => {
      const x = preprocess(tensorOfBytes<tf.Rank.R4>(pixels, [1, inputSize, inputSize, 3]), preprocessing);
      return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    });
    const ranked = Array.from(probabilities, (probability, c) => ({ className: classes[c]!, probability })).sort((a, b) => b.probability - a.probability);
    out.push({ name: image.name, top: ranked.slice(0, top), error: null });
  }
  return out;
}
