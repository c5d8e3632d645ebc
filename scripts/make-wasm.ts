// Assembles src/backend/wasm/*.wat into src/backend/wasm/modules.ts (committed; `npm run make-wasm`
// rewrites it, and test/unit/wasm-modules.test.ts fails when it is stale). Each module imports the wasm
// backend's memory, which is shared (with a maximum) where the backend runs threads and plain where it
// does not: both forms are made, and the kernel picks the one that matches.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabt from 'wabt';

const SOURCES = ['fused-rmsprop', 'matmul', 'transpose'];
const MEMORY = { shared: '(memory 1 65536 shared)', plain: '(memory 1)' } as const;

async function assemble(name: string, memory: string): Promise<string> {
  const source = readFileSync(new URL(`../src/backend/wasm/${name}.wat`, import.meta.url), 'utf8');
  if (source.split('@MEMORY@').length !== 2) throw new Error(`${name}.wat must import its memory once, as (import "env" "memory" @MEMORY@)`);
  const text = source.replace('@MEMORY@', memory);
  const module = (await wabt()).parseWat(`${name}.wat`, text, { simd: true, threads: true });
  try {
    // wabt's own validate() refuses shared memories whatever the features say: the platform judges.
    const bytes = module.toBinary({}).buffer as Uint8Array<ArrayBuffer>;
    if (!WebAssembly.validate(bytes)) throw new Error(`${name}.wat with ${memory} does not validate`);
    return Buffer.from(bytes).toString('base64');
  } finally {
    module.destroy();
  }
}

export async function wasmModulesSource(): Promise<string> {
  const entries: string[] = [];
  for (const name of SOURCES) {
    entries.push(`  '${name}': { shared: '${await assemble(name, MEMORY.shared)}', plain: '${await assemble(name, MEMORY.plain)}' },`);
  }
  return `// Made by scripts/make-wasm.ts from the .wat files beside this one (npm run make-wasm): do not edit.\n\n/** Each module's binary, base64, importing a shared or a plain memory. */\nexport const WASM_MODULES = {\n${entries.join('\n')}\n} as const;\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../src/backend/wasm/modules.ts', import.meta.url), await wasmModulesSource());
}
