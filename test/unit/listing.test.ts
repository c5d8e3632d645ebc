import { describe, expect, it } from 'vitest';
import { listDataset } from '../../src/data/listing';

const files = (...paths: string[]) => paths.map((path) => ({ path, url: `/dataset/${path}` }));

describe('listDataset', () => {
  it('takes classes from folder names, sorted, and keeps nested images in their top folder', () => {
    const { source, skipped } = listDataset(files('tulip/a.jpg', 'daisy/b.PNG', 'daisy/sub/c.webp', 'tulip/d.bmp'), 'flowers');
    expect(source.classes).toEqual(['daisy', 'tulip']);
    expect(source.items.map((i) => [i.path, i.className])).toEqual([
      ['daisy/b.PNG', 'daisy'],
      ['daisy/sub/c.webp', 'daisy'],
      ['tulip/a.jpg', 'tulip'],
      ['tulip/d.bmp', 'tulip'],
    ]);
    expect(skipped).toEqual([]);
  });

  it('skips hidden, system and non-image files with a reason, and files outside class folders', () => {
    const { source, skipped } = listDataset(
      files('a/1.jpg', 'b/2.jpg', 'a/.DS_Store', '.hidden/x.jpg', 'b/Thumbs.db', 'b/notes.txt', 'readme.jpg'),
      'd',
    );
    expect(source.items).toHaveLength(2);
    expect(Object.fromEntries(skipped.map((s) => [s.path, s.reason]))).toEqual({
      'a/.DS_Store': 'hidden file',
      '.hidden/x.jpg': 'hidden file',
      'b/Thumbs.db': 'system file',
      'b/notes.txt': expect.stringMatching(/not an image file \(extension 'txt'/),
      'readme.jpg': expect.stringMatching(/not inside a class folder/),
    });
  });

  it('refuses a single class, naming the folder', () => {
    expect(() => listDataset(files('cats/1.jpg', 'cats/2.jpg'), 'pets')).toThrow(/pets has only one class folder \('cats'\)/);
  });

  it('refuses an empty class folder, naming it', () => {
    expect(() => listDataset(files('cats/1.jpg', 'dogs/2.jpg'), 'pets', ['cats', 'dogs', 'birds'])).toThrow(
      /class folder 'pets\/birds' holds no usable images/,
    );
  });

  it('refuses a folder without images', () => {
    expect(() => listDataset(files('notes.txt'), 'empty')).toThrow(/no images found in empty.*1 other file/);
    expect(() => listDataset([], 'empty')).toThrow(/no images found in empty/);
  });
});
