// What the element imports a dataset from: part of its public API (importDataset).

/** Files with their paths inside the picked or dropped folder, a zip, or a directory handle. */
export type ImportSource = { files: { path: string; blob: Blob }[] } | { zip: File } | { directory: FileSystemDirectoryHandle };
