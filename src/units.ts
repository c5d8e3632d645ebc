// A megabyte, as this project counts it everywhere: budgets (--pixel-mb, the cache and step budgets),
// the log, the CLI and the page. One unit, so the same file never shows as two sizes.

/** 2^20 bytes. */
export const MB = 2 ** 20;

/** Bytes in MB with `digits` decimals, e.g. `57.6 MB`. */
export const formatMB = (bytes: number, digits = 1): string => `${(bytes / MB).toFixed(digits)} MB`;

/** Bytes in MB, or in GB (2^30 bytes) from 1024 MB on, with one decimal: a browser's storage quota. */
export const formatSize = (bytes: number): string => (bytes >= 1024 * MB ? `${(bytes / (1024 * MB)).toFixed(1)} GB` : formatMB(bytes));
