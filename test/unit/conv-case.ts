/** A convolution the wasm kernel tests run (NHWC input and [kh, kw, in, out] filter shapes). */
export type Quad = [number, number, number, number];

export interface ConvCase {
  x: Quad;
  filter: Quad;
  stride: number;
  pad: 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
  dilation?: number;
  /** A fused bias and ReLU. */
  bias?: boolean;
}
