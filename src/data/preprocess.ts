import * as tf from '@tensorflow/tfjs';
import type { Preprocessing } from '../protocol';

/** ImageNet channel means in BGR order, as Keras' `preprocess_input(mode='caffe')` subtracts them. */
export const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68] as const;

export const PREPROCESSING_LABEL: Record<Preprocessing, string> = {
  caffe: 'caffe (RGB to BGR, ImageNet mean subtracted, 0-255 scale)',
  tf: 'tf (pixels scaled to -1..1)',
  unit: 'unit (pixels / 255, as in the recipe)',
};

/** RGB floats in 0..255 to what the weights expect. */
export function preprocess(rgb: tf.Tensor4D, mode: Preprocessing): tf.Tensor4D {
  return tf.tidy(() => {
    if (mode === 'unit') return tf.div(rgb, 255);
    if (mode === 'tf') return tf.sub(tf.div(rgb, 127.5), 1);
    const bgr = tf.reverse(rgb, -1);
    return tf.sub(bgr, tf.tensor1d([...CAFFE_MEAN_BGR]));
  });
}
