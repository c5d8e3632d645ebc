import { describe, expect, it } from 'vitest';
import { BUNDLED_PRESET, inFlagTerms, parseFinetuneArgs } from '../../cli/args';
import { safeJoin } from '../../cli/server';
import { resolveConfig } from '../../src/config';

describe('npm run finetune arguments', () => {
  it('maps the recipe flags onto the config, leaving the rest to the defaults', () => {
    const args = parseFinetuneArgs(['--dataset', 'd', '--model', 'm', '--size', '64', '--head-epochs', '3', '--finetune-epochs', '0', '--batch', '4', '--backend', 'wasm', '--unfreeze-from', 'block4_conv1', '--no-augment']);
    expect(args).toMatchObject({ datasetDir: 'd', outDir: 'm' });
    expect(args.config).toEqual({
      inputSize: 64,
      batchSize: 4,
      backend: 'wasm',
      unfreezeFrom: 'block4_conv1',
      augment: null,
      head: { epochs: 3 },
      finetune: { epochs: 0 },
    });
  });

  it("turns either stage's frozen-layer cache off and sizes it", () => {
    expect(parseFinetuneArgs(['--cache', 'head', '--cache-views', '4', '--cache-mb', '256']).config.cache).toEqual({ head: true, finetune: false, views: 4, budgetMB: 256 });
    expect(parseFinetuneArgs(['--cache', 'none']).config.cache).toEqual({ head: false, finetune: false });
    expect(parseFinetuneArgs([]).config.cache).toBeUndefined();
    expect(() => parseFinetuneArgs(['--cache', 'yes'])).toThrow(/--cache must be both, head, finetune or none; got 'yes'/);
    expect(() => resolveConfig(parseFinetuneArgs(['--cache-views', '1.5']).config)).toThrow(/cache.views must be an integer from 0 to 16, got 1.5/);
  });

  it('uses the bundled sample and its quick preset without --dataset; flags still win', () => {
    const args = parseFinetuneArgs(['--size', '48']);
    expect(args.datasetDir).toBeNull();
    expect(args.config).toMatchObject({ inputSize: 48, batchSize: BUNDLED_PRESET.batchSize, head: { epochs: BUNDLED_PRESET.headEpochs } });
  });

  it('sets how many faults a run survives, and whether out-of-memory halves the batch', () => {
    expect(parseFinetuneArgs([]).recovery).toEqual({ attempts: 2, smallerBatch: false });
    expect(parseFinetuneArgs(['--fault-attempts', '0', '--smaller-batch-on-oom']).recovery).toEqual({ attempts: 0, smallerBatch: true });
    expect(() => parseFinetuneArgs(['--fault-attempts', '1.5'])).toThrow(/--fault-attempts needs a whole number, 0 or more; got 1.5/);
  });

  it("takes --batch auto", () => {
    expect(parseFinetuneArgs(['--batch', 'auto']).config.batchSize).toBe('auto');
  });

  it('sets the memory decoded images may take', () => {
    expect(parseFinetuneArgs(['--pixel-mb', '0']).config.pixelBudgetMB).toBe(0);
    expect(() => resolveConfig(parseFinetuneArgs(['--pixel-mb=-5']).config)).toThrow(/pixelBudgetMB must be from 0 to 65536, got -5/);
    expect(parseFinetuneArgs(['--threads', '2']).config.threads).toBe(2);
    expect(parseFinetuneArgs([]).config.threads).toBeUndefined();
    expect(() => resolveConfig(parseFinetuneArgs(['--threads', '0']).config)).toThrow(/threads must be an integer from 1 to 256, got 0/);
  });

  it('takes rates, head, validation, patience and batch-norm mode, auto and off included', () => {
    const args = parseFinetuneArgs(['--head-lr', '1e-4', '--finetune-lr', 'auto', '--head', 'gap', '--val-fraction', '0.2', '--patience', 'off', '--bn-train', '--unfreeze-from', 'auto']);
    expect(args.config).toMatchObject({ headKind: 'gap', validationFraction: 0.2, patience: null, bnTrain: true, unfreezeFrom: 'auto', head: { learningRate: 1e-4 }, finetune: { learningRate: 'auto' } });
    expect(parseFinetuneArgs(['--patience', '3']).config.patience).toBe(3);
    // Left out, each is the default's: the config has no key for it.
    const defaults = parseFinetuneArgs(['--dataset', 'd', '--model', 'm']).config;
    for (const key of ['headKind', 'patience', 'validationFraction', 'bnTrain', 'unfreezeFrom']) expect(defaults).not.toHaveProperty(key);
    expect(defaults.head).toBeUndefined();
    expect(() => parseFinetuneArgs(['--head', 'conv'])).toThrow(/--head must be auto, flatten or gap; got 'conv'/);
    expect(() => parseFinetuneArgs(['--head-lr', 'fast'])).toThrow(/--head-lr needs a number, got 'fast'/);
    expect(() => resolveConfig(parseFinetuneArgs(['--patience', '0']).config)).toThrow(/patience must be an integer >= 1, got 0/);
  });

  it('with --resume, takes only flags that do not change what is trained', () => {
    expect(parseFinetuneArgs(['--dataset', 'd', '--model', 'm', '--resume', '--backend', 'wasm', '--pixel-mb', '0', '--threads', '1', '--export', 'onnx'])).toMatchObject({ resume: true });
    expect(() => parseFinetuneArgs(['--dataset', 'd', '--model', 'm', '--resume', '--size', '64', '--head-lr', '1e-4'])).toThrow(
      "--size, --head-lr cannot change a run with --resume: it continues with its checkpoint's settings (drop them, or start over with --restart)",
    );
    expect(() => parseFinetuneArgs(['--resume', '--restart'])).toThrow('--restart and --resume contradict each other');
    expect(parseFinetuneArgs(['--dataset', 'd', '--model', 'm', '--restart', '--overwrite'])).toMatchObject({ restart: true, overwrite: true });
  });

  it('reads a numeric --unfreeze-from as an index', () => {
    expect(parseFinetuneArgs(['--unfreeze-from', '11']).config.unfreezeFrom).toBe(11);
  });

  it('explains bad input', () => {
    expect(parseFinetuneArgs(['--dataset', 'photos'])).toMatchObject({ datasetDir: 'photos', outDir: null }); // out/photos
    expect(() => parseFinetuneArgs(['--batch', 'many'])).toThrow(/--batch needs a number, got 'many'/);
    expect(() => parseFinetuneArgs(['--mode', 'transfer'])).toThrow(/--mode must be finetune or features, got 'transfer'/);
    expect(() => resolveConfig(parseFinetuneArgs(['--weights', 'vgg16']).config)).toThrow(/weights 'vgg16' is none of: random, imagenet/);
    expect(() => parseFinetuneArgs(['--bogus'])).toThrow(/bogus/);
  });

  it("names the flag, not the setting, in the settings' errors", () => {
    const message = (argv: string[]): string => {
      try {
        resolveConfig(parseFinetuneArgs(argv).config);
        return '';
      } catch (error) {
        return inFlagTerms((error as Error).message);
      }
    };
    expect(message(['--dataset', 'd', '--size', '16'])).toBe('--size must be an integer from 32 to 1024, got 16');
    expect(message(['--dataset', 'd', '--head-epochs=-1'])).toBe('--head-epochs must be an integer >= 0, got -1');
    expect(message(['--dataset', 'd', '--finetune-lr', '20'])).toBe('--finetune-lr must be above 0 and at most 10, got 20');
    expect(message(['--dataset', 'd', '--val-fraction', '2'])).toMatch(/^--val-fraction must be /);
    expect(inFlagTerms('weights \'x\' is none of: random')).toBe("weights 'x' is none of: random");
  });
});

describe('the local server', () => {
  it('never serves a path outside its folder', () => {
    expect(safeJoin('/srv/data', 'a/b.jpg')).toBe('/srv/data/a/b.jpg');
    expect(safeJoin('/srv/data', 'caf%C3%A9/x.jpg')).toBe('/srv/data/café/x.jpg');
    expect(safeJoin('/srv/data', '../etc/passwd')).toBeNull();
    expect(safeJoin('/srv/data', '..%2F..%2Fetc%2Fpasswd')).toBeNull();
    expect(safeJoin('/srv/data', '%E0%A4%A')).toBeNull();
  });
});
