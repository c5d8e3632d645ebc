import { describe, expect, it } from 'vitest';
import type { ImportSource } from '../../web/import-source';
import { sourceName } from '../../web/views/import-view';

describe("a new project's name when none is typed", () => {
  it("is the picked folder's, the zip's or the directory's own name", () => {
    const blob = new Blob([]);
    expect(sourceName({ files: [{ path: 'Flowers test/daisy/1.jpg', blob }, { path: 'Flowers test/rose/2.jpg', blob }] })).toBe('Flowers test');
    expect(sourceName({ zip: { name: 'birds.ZIP' } } as unknown as ImportSource)).toBe('birds');
    expect(sourceName({ directory: { name: 'cats' } } as unknown as ImportSource)).toBe('cats');
    // Loose images (no folder) have no name of their own: the caller's default stands.
    expect(sourceName({ files: [{ path: '1.jpg', blob }] })).toBe('');
  });
});
