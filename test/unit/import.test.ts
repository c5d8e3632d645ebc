import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { filesOfZip, stripCommonRoot } from '../../src/store/import';

describe('stripCommonRoot', () => {
  it('drops the picked folder every path shares', () => {
    expect(stripCommonRoot(['flowers/daisy/a.jpg', 'flowers/rose/b.jpg'])).toEqual(['daisy/a.jpg', 'rose/b.jpg']);
  });

  it('keeps paths that are already class/file, or roots that differ', () => {
    expect(stripCommonRoot(['daisy/a.jpg', 'daisy/b.jpg'])).toEqual(['daisy/a.jpg', 'daisy/b.jpg']);
    expect(stripCommonRoot(['a/daisy/x.jpg', 'b/rose/y.jpg'])).toEqual(['a/daisy/x.jpg', 'b/rose/y.jpg']);
  });

  it("drops the picked folder even with files at its top (a README, macOS' .DS_Store)", () => {
    expect(stripCommonRoot(['flowers/daisy/a.jpg', 'flowers/readme.txt', 'flowers/.DS_Store'])).toEqual(['daisy/a.jpg', 'readme.txt', '.DS_Store']);
  });
});

describe('filesOfZip', () => {
  it('lists the files of a zip with their folders, directories left out', async () => {
    const zip = zipSync({ 'flowers/': new Uint8Array(), 'flowers/daisy/a.jpg': new Uint8Array([1, 2, 3]), 'flowers/rose/b.png': new Uint8Array([4]) });
    const files = await filesOfZip(new Blob([zip as Uint8Array<ArrayBuffer>]), 'flowers.zip');
    expect(files.map((f) => [f.path, f.blob.size])).toEqual([
      ['flowers/daisy/a.jpg', 3],
      ['flowers/rose/b.png', 1],
    ]);
  });

  it('names a file that is not a zip', async () => {
    await expect(filesOfZip(new Blob(['not a zip at all']), 'photos.zip')).rejects.toThrow(/photos.zip is not a readable zip file/);
  });
});
