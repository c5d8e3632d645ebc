import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layering the code keeps, read from its own imports: no file reaches itself through others, and
// the store (what is kept) does not depend on the training loop (what runs).

const ROOT = resolve(__dirname, '../..');
const FOLDERS = ['src', 'workers', 'web', 'cli'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The file an import names: `x.ts`, or a folder's `index.ts`. */
function sourceOf(target: string): string {
  const file = existsSync(`${target}.ts`) || !existsSync(join(target, 'index.ts')) ? `${target}.ts` : join(target, 'index.ts');
  return relative(ROOT, file);
}

/** Each source file's relative imports, as repository paths (type-only imports included: they tie files as much). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of FOLDERS.flatMap((f) => sources(join(ROOT, f)))) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^\s*(?:import|export)\b(?:[^'";]*?from)?\s*'(\.{1,2}\/[^']+)'/gm)].map((m) => sourceOf(resolve(dirname(file), m[1]!)));
    graph.set(relative(ROOT, file), targets);
  }
  return graph;
}

/** One cycle of the graph, as the files along it, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done' || !graph.has(file)) return null;
    if (state.get(file) === 'open') return [...path.slice(path.indexOf(file)), file];
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file)!) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}

describe('the import graph', () => {
  const graph = importGraph();

  it('reads the files it checks (the relative imports of src/, workers/, web/ and cli/)', () => {
    expect(graph.get('src/train/stage.ts')).toContain('src/train/stage-types.ts');
    expect(graph.get('src/train/stage.ts')).toContain('src/protocol/index.ts');
    // Every import is of a file the graph holds: none is missed.
    expect([...graph.values()].flat().filter((target) => !graph.has(target))).toEqual([]);
    expect(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', ['a.ts']]]))).toEqual(['a.ts', 'b.ts', 'a.ts']);
  });

  it('has no circle', () => {
    expect(findCycle(graph)).toBeNull();
  });

  it('leaves the database to the worker: the page never opens it', () => {
    const opening = [...graph.keys()].filter((file) => file.startsWith('web/') && /\bopenStore\b|indexedDB\.open\b|from 'idb'/.test(readFileSync(join(ROOT, file), 'utf8')));
    expect(opening).toEqual([]);
  });

  // `npx finetune-trainer --help` runs with the command line's optional packages left out (bin.ts).
  it("reaches no optional package from the command line's --help", () => {
    const OPTIONAL = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?from\s+)?'(@tensorflow\/tfjs|h5wasm|hash-wasm|onnx-proto|playwright-core)[^']*'/m;
    const reached = new Set<string>();
    // What runs, not what is checked: `import type` ties no module at run time.
    const valueImports = (file: string): string[] =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?from\s+)?'(\.{1,2}\/[^']+)'/gm)].map((m) => sourceOf(resolve(dirname(join(ROOT, file)), m[1]!)));
    const visit = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const next of valueImports(file)) visit(next);
    };
    visit('cli/args.ts');
    expect(reached.size).toBeGreaterThan(5);
    expect([...reached].filter((file) => OPTIONAL.test(readFileSync(join(ROOT, file), 'utf8')))).toEqual([]);
  });

  /** Imports from files under `from` into files under `into`. */
  const crossing = (from: string, into: string): string[] =>
    [...graph].flatMap(([file, targets]) => (file.startsWith(from) ? targets.filter((t) => t.startsWith(into)).map((t) => `${file} -> ${t}`) : []));

  it('keeps the store apart from the training loop', () => {
    expect(crossing('src/store/', 'src/train/')).toEqual([]);
  });

  it('keeps the training loop apart from the run around it (opening, locks, recovery, drills, benchmarks)', () => {
    expect(crossing('src/train/', 'src/run/')).toEqual([]);
    expect(crossing('src/store/', 'src/run/')).toEqual([]);
    expect(crossing('src/run/', 'src/')).not.toEqual([]); // the rule reads real imports
  });

  // `npm run typecheck` compiles src/ in the worker's project too, whose library has no DOM: a `document`
  // or `HTMLElement` in the core fails there ("Cannot find name 'document'"), since the worker runs it.
  it('compiles src/ in a project without the DOM', () => {
    const worker = JSON.parse(readFileSync(join(ROOT, 'workers/tsconfig.json'), 'utf8')) as { include: string[]; compilerOptions: { lib: string[] } };
    expect(worker.include).toContain('../src');
    expect(worker.compilerOptions.lib.filter((lib) => /^dom/i.test(lib))).toEqual([]);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.typecheck).toContain('tsc -p workers/tsconfig.json');
  });
});
