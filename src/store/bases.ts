import type { BaseRecord, FinetuneStore } from './schema';

export type BaseSummary = Omit<BaseRecord, 'files'> & { files: string[] };

export function getCachedBase(db: FinetuneStore, key: string): Promise<BaseRecord | undefined> {
  return db.get('bases', key);
}

export async function putCachedBase(db: FinetuneStore, record: BaseRecord): Promise<void> {
  await db.put('bases', record);
}

/** The cached bases with their sizes, newest first, without their bytes. */
export async function listCachedBases(db: FinetuneStore): Promise<BaseSummary[]> {
  const records = await db.getAll('bases');
  return records.sort((a, b) => b.addedAt - a.addedAt).map((r) => ({ ...r, files: r.files.map((f) => f.name) }));
}

export async function deleteCachedBase(db: FinetuneStore, key: string): Promise<void> {
  await db.delete('bases', key);
}
