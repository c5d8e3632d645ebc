import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { wasmModulesSource } from '../../scripts/make-wasm';

describe('src/backend/wasm/modules.ts', () => {
  it('is what the .wat files beside it assemble to (run `npm run make-wasm` after changing one)', async () => {
    expect(readFileSync('src/backend/wasm/modules.ts', 'utf8')).toBe(await wasmModulesSource());
  });
});
