import { describe, expect, it } from 'vitest';
import { formatMB, formatSize, MB } from '../../src/units';

describe('units', () => {
  it('counts a megabyte as 2^20 bytes, as the budgets do', () => {
    expect(formatMB(58_889_256)).toBe('56.2 MB');
    expect(formatMB(3 * MB, 0)).toBe('3 MB');
  });

  it('says a quota in GB from 1024 MB on', () => {
    expect(formatSize(13.5 * MB)).toBe('13.5 MB');
    expect(formatSize(4109.5 * MB)).toBe('4.0 GB');
  });
});
