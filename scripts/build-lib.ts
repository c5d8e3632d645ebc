// `npm run build:lib`: the published package's files in lib/ (package.json's `files`).
//   lib/browser  the element, its worker and wasm, the command line's runner page (vite.lib.config.ts),
//                and the opt-in cross-origin isolation service worker
//   lib/types    the typings of the element and `finetune-trainer/types`, only those their imports reach
//   lib/cli      the command line for Node (`npx finetune-trainer`, `finetune-trainer/cli`)
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { build as esbuild } from 'esbuild';
import { build as vite } from 'vite';

const root = resolve(import.meta.dirname, '..');
const lib = join(root, 'lib');
const TYPE_ENTRIES = ['web/finetune-trainer.d.ts', 'web/types.d.ts', 'cli/finetune.d.ts'];

/** The .d.ts files an entry's imports reach; tsc writes one per source file the program holds. */
function reachedTypings(dir: string, entries: string[]): Set<string> {
  const reached = new Set<string>();
  const visit = (file: string): void => {
    if (reached.has(file)) return;
    if (!existsSync(file)) throw new Error(`build:lib: ${relative(root, file)} is imported by the typings but was not written`);
    reached.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), spec!.replace(/\.js$/, ''));
      visit(existsSync(`${target}.d.ts`) || !existsSync(target) ? `${target}.d.ts` : join(target, 'index.d.ts')); // a folder: its index
    }
  };
  for (const entry of entries) visit(join(dir, entry));
  return reached;
}

function pruneTypings(dir: string): number {
  const keep = reachedTypings(dir, TYPE_ENTRIES);
  const all = (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[]).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  for (const file of all) if (!keep.has(file)) rmSync(file);
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[]) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isDirectory() && existsSync(path) && readdirSync(path, { recursive: true }).length === 0) rmSync(path, { recursive: true });
  }
  return keep.size;
}

rmSync(lib, { recursive: true, force: true });
await vite({ configFile: join(root, 'vite.lib.config.ts') });
// Opt-in, served by the host from its own root: see its comment and 'Embed it' in the README.
copyFileSync(join(root, 'web/opt-in/coi-serviceworker.js'), join(lib, 'browser/coi-serviceworker.js'));
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });
const typings = pruneTypings(join(lib, 'types'));
await esbuild({
  entryPoints: { finetune: join(root, 'cli/finetune.ts'), bin: join(root, 'cli/bin.ts') },
  outdir: join(lib, 'cli'),
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Every package stays an import, resolved from the installed dependencies (playwright-core among them).
  packages: 'external',
  logLevel: 'warning',
});
// The typings import `lit` and the protocol; the browser build has them bundled.
writeFileSync(join(lib, 'types.js'), '// finetune-trainer/types holds types only.\nexport {};\n');
// stderr: `npm pack --json` prints the tarball list on stdout after this script runs as its prepack.
console.error(`build:lib: lib/browser, lib/cli and ${typings} typings in lib/types`);
