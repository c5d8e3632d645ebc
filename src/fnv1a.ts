// 32-bit FNV-1a: the one small, stable hash behind layer fingerprints, derived seeds and dataset keys.
// Changing it would change every stored fingerprint, seed stream and checkpoint's dataset key.

/** FNV-1a's offset basis: the hash of nothing. */
export const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a over `units` (bytes, or a string's UTF-16 code units), continuing from `h`; as an unsigned 32-bit number. */
export function fnv1a(units: ArrayLike<number>, h = FNV_OFFSET): number {
  for (let i = 0; i < units.length; i++) h = Math.imul(h ^ units[i]!, 0x01000193);
  return h >>> 0;
}

/** A string's UTF-16 code units, as `fnv1a` hashes text. */
export function codeUnits(text: string): Uint16Array {
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  return units;
}
