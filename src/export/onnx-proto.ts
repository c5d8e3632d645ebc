// onnx-proto is CommonJS: Node's ESM loader (tsx, the command line) sees only its default export, and
// Vite's interop gives the same, so it is read from there once, here.
import protobufs from 'onnx-proto';

export type { onnx as OnnxProto } from 'onnx-proto';
export const onnx = protobufs.onnx;
