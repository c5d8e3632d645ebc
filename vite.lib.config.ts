import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const root = import.meta.dirname;

/**
 * The published browser files (`npm run build:lib` -> lib/browser/): the element as an ES module, its
 * worker as its own prebuilt module and the tfjs wasm binaries as files, each found relative to the module
 * that loads it (`new URL(..., import.meta.url)`), so any bundler or a static folder serves them
 * unconfigured; and the command line's runner page, which shares the worker.
 */
/**
 * Vite writes the worker's URL as `new Worker(new URL(/* @vite-ignore *\/ new URL('x', import.meta.url).href, ...))`,
 * which a consumer's bundler cannot follow. This puts back the one form Vite, webpack, Parcel and Rollup
 * plugins all recognise, so theirs bundles the worker (and its wasm) as a worker of their own.
 */
function plainWorkerUrl(): Plugin {
  const vitesForm = /new Worker\(new URL\(\s*\/\* @vite-ignore \*\/\s*new URL\("((?:\.\.\/)*worker\/trainer\.worker\.js)", import\.meta\.url\)\.href,\s*"" \+ import\.meta\.url\s*\)/g;
  return {
    name: 'finetune-plain-worker-url',
    renderChunk(code, chunk) {
      // Any chunk that names the worker's file holds the `new Worker` (trainer-client.ts, its error text too).
      if (!code.includes('trainer.worker.js')) return null;
      const plain = code.replace(vitesForm, (_, path: string) => `new Worker(new URL("${path.startsWith('.') ? path : `./${path}`}", import.meta.url)`);
      if (plain === code) this.error(`${chunk.fileName}: the worker's URL is not in the form this plugin rewrites (did Vite change it?)`);
      return { code: plain, map: null };
    },
  };
}

export default defineConfig({
  root: resolve(root, 'web'),
  base: './',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: resolve(root, 'lib/browser'),
    emptyOutDir: true,
    target: 'es2022',
    // Unminified for the same reason as the app: tfjs-backend-wasm builds its pthread workers from source text.
    minify: false,
    // Every asset a file of its own: a data: URL would put 10 MB of wasm inside the worker's source.
    assetsInlineLimit: 0,
    // No preload helper: a consumer's Vite build injects its own `__vitePreload` and would find ours declared twice.
    modulePreload: false,
    chunkSizeWarningLimit: 8192,
    rollupOptions: {
      // A slow plugin on a busy machine is not the user's problem: no PLUGIN_TIMINGS warning in their log.
      checks: { bundlerTimings: false },
      input: { 'finetune-trainer': resolve(root, 'web/finetune-trainer.ts'), runner: resolve(root, 'web/runner.html') },
      preserveEntrySignatures: 'strict',
      output: { entryFileNames: '[name].js', chunkFileNames: '[name].js', assetFileNames: 'assets/[name][extname]' },
    },
  },
  worker: {
    format: 'es',
    rollupOptions: { checks: { bundlerTimings: false }, output: { entryFileNames: 'worker/[name].js', chunkFileNames: 'worker/[name].js', assetFileNames: 'worker/[name][extname]' } },
  },
  plugins: [plainWorkerUrl()],
});
