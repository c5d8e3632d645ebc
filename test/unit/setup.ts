import * as tf from '@tensorflow/tfjs';

// No "install tfjs-node" banner in every test file: these tests build tiny models on purpose.
// (IS_TEST would also silence it, but turns on a kernel leak check that misreads wasm's fused
// matmul gradient, whose saved tensors outlive the op by design.)
tf.env().set('PROD', true);
