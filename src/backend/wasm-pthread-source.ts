// tfjs-backend-wasm starts each wasm thread from the text of its threaded factory function
// (`factory.toString()` in a Blob). A consumer's bundler that minifies our prebuilt worker renames what that
// function refers to outside itself, and every thread dies with "e is not defined". The factory's own file,
// kept here as a string (strings survive minification), is what each thread gets instead.
import * as factoryModule from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
import factorySource from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js?raw';

type Factory = ((...args: unknown[]) => unknown) & { toString(): string };

/** Makes the threaded factory's text its original file's, whatever a later minifier does to the code. */
export function keepPthreadSourceIntact(): void {
  const module = factoryModule as unknown as { default?: Factory } & Factory;
  const factory = module.default ?? module;
  const text = `(() => {\n${factorySource}\nreturn WasmBackendModuleThreadedSimd;\n})()`;
  Object.defineProperty(factory, 'toString', { value: () => text, configurable: true });
}
