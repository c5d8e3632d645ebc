#!/usr/bin/env node
// `npx finetune-trainer ...`: the installed command line (lib/cli/bin.js). Its packages are the
// package's optional dependencies (the element needs none of them); here, the absence of one is said
// with the way back. --help needs none.
import { FINETUNE_USAGE, wantsHelp } from './args';

const CLI_PACKAGES = ['playwright-core', '@tensorflow/tfjs', 'h5wasm', 'hash-wasm', 'onnx-proto'];

function missingPackage(error: unknown): string | null {
  const { code, message } = error as { code?: string; message?: string };
  if (code !== 'ERR_MODULE_NOT_FOUND') return null;
  return CLI_PACKAGES.find((name) => message?.includes(`'${name}'`)) ?? null;
}

const argv = process.argv.slice(2);
if (wantsHelp(argv)) {
  console.log(FINETUNE_USAGE);
} else {
  try {
    const { main } = await import('./finetune');
    process.exitCode = await main(argv);
  } catch (error) {
    const missing = missingPackage(error);
    if (!missing) throw error;
    console.error(`error: the command line needs ${missing}, which is not installed (optional dependencies left out?): run \`npm install ${CLI_PACKAGES.join(' ')}\``);
    process.exitCode = 1;
  }
}
