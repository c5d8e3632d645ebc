import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const root = import.meta.dirname;
const web = resolve(root, 'web');
const SAMPLE = 'samples/flowers4';

/** The bundled sample dataset, copied into the build with an index, so the demo imports it in one click (offline too). */
function bundledSample(): Plugin {
  const dir = resolve(root, SAMPLE);
  const files = (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
  return {
    name: 'finetune-bundled-sample',
    generateBundle() {
      for (const file of files) this.emitFile({ type: 'asset', fileName: `${SAMPLE}/${file}`, source: readFileSync(join(dir, file)) });
      this.emitFile({ type: 'asset', fileName: `${SAMPLE}/index.json`, source: JSON.stringify({ name: 'flowers4', files }) });
    },
  };
}

export default defineConfig({
  root: web,
  base: './',
  build: {
    outDir: resolve(root, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // Unminified: tfjs-backend-wasm builds its threads' workers from a function's source text, which a
    // minifier breaks ('e is not defined' in every pthread worker).
    minify: false,
    chunkSizeWarningLimit: 8192,
    rollupOptions: {
      input: { index: resolve(web, 'index.html'), runner: resolve(web, 'runner.html') },
      // A slow plugin on a busy machine is not the user's problem: no PLUGIN_TIMINGS warning in their log.
      checks: { bundlerTimings: false },
    },
  },
  worker: { format: 'es', rollupOptions: { checks: { bundlerTimings: false } } },
  plugins: [
    bundledSample(),
    VitePWA({
      injectRegister: null,
      registerType: 'autoUpdate',
      manifest: {
        name: 'finetune-trainer',
        short_name: 'finetune',
        description: 'Fine-tune a CNN on your own image folders, in the browser.',
        theme_color: '#2f6fed',
        icons: [{ src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' }],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,wasm,json,jpg,svg}'],
        // The worker (tfjs with every backend) and the HDF5 reader are several MB each.
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/dataset\//, /^\/output\//, /^\/weights\//],
      },
    }),
  ],
  server: {
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
});
