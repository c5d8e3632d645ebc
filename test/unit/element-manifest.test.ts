import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiReference, END, START, type Manifest as ApiManifest } from '../../scripts/api-docs';

interface Manifest {
  modules: { path: string; declarations: { name: string; customElement?: boolean; attributes?: { name: string }[]; events?: { name: string }[] }[] }[];
}

const readManifest = (path: string): Manifest => JSON.parse(readFileSync(path, 'utf8')) as Manifest;

describe('custom-elements.json', () => {
  it('is what the analyzer makes of the element now (run `npm run manifest` after changing it)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cem-'));
    try {
      execFileSync('npx', ['custom-elements-manifest', 'analyze', '--outdir', relative(process.cwd(), dir)], { stdio: 'pipe' });
      expect(readManifest(join(dir, 'custom-elements.json'))).toEqual(readManifest('custom-elements.json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('declares every attribute the element observes and all five events', () => {
    const element = readManifest('custom-elements.json').modules.flatMap((m) => m.declarations).find((d) => d.customElement)!;
    const source = readFileSync('web/finetune-trainer.ts', 'utf8');
    const properties = source.slice(source.indexOf('static override properties'), source.indexOf('};', source.indexOf('static override properties')));
    const observed = [...properties.matchAll(/(\w+): \{ type: \w+(?:, attribute: '([\w-]+)')?/g)].map((m) => m[2] ?? m[1]!);
    expect(element.attributes!.map((a) => a.name).sort()).toEqual(observed.sort());
    expect(element.events!.map((e) => e.name)).toEqual(['finetune-progress', 'finetune-epoch', 'finetune-stage', 'finetune-complete', 'finetune-error']);
  });

  it("is what the README's API tables say (run `npm run manifest` after changing the element)", () => {
    const readme = readFileSync('README.md', 'utf8');
    const written = readme.slice(readme.indexOf(START) + START.length, readme.indexOf(END)).trim();
    expect(written).toBe(apiReference(readManifest('custom-elements.json') as unknown as ApiManifest));
    expect(written).toContain('| `smaller-batch-on-oom` | `smallerBatchOnOom` | `boolean` |');
  });

  it('keeps internals out: no controller, trainConfig or applyConfig', () => {
    const element = readManifest('custom-elements.json').modules.flatMap((m) => m.declarations).find((d) => d.customElement)! as { members?: { name: string }[] };
    const names = (element.members ?? []).map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['start', 'export', 'importDataset']));
    for (const internal of ['controller', 'trainConfig', 'applyConfig']) expect(names).not.toContain(internal);
  });
});
