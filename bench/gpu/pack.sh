#!/usr/bin/env bash
# Packs what bench/gpu/run.ts needs on a machine with a GPU but without npm, Chromium or a network into
# .gpu/ (about 35 MB): the bench bundled into one file, this Node (xz), Dawn's Node binding (xz) and TF.js'
# wasm binaries. bench/gpu/device.sh unpacks and runs it there; the samples travel with the repository.
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -rf .gpu && mkdir -p .gpu/node_modules/webgpu/dist/linux-x64 .gpu/wasm
npx esbuild bench/gpu/run.ts --bundle --minify --platform=node --format=esm --target=node20 --external:webgpu \
  --banner:js="import { createRequire } from 'node:module'; import { fileURLToPath } from 'node:url'; import { dirname } from 'node:path'; const require = createRequire(import.meta.url); const __filename = fileURLToPath(import.meta.url); const __dirname = dirname(__filename);" \
  --outfile=.gpu/run.mjs --log-level=warning
cp node_modules/webgpu/index.js node_modules/webgpu/package.json .gpu/node_modules/webgpu/
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > .gpu/node_modules/webgpu/dist/linux-x64/dawn.node.xz
xz -T0 -6 -c "$(command -v node)" > .gpu/node.xz
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm .gpu/wasm/
du -sh .gpu
