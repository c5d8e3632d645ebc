import { createSHA256 } from 'hash-wasm';

/**
 * Hex SHA-256 of a blob: how the base cache and the image store tell files apart. Downloads hash as the
 * bytes arrive with the same hasher (`createSHA256`), so both give the same hex for the same bytes.
 */
export async function sha256Of(blob: Blob): Promise<string> {
  const hasher = await createSHA256();
  hasher.update(new Uint8Array(await blob.arrayBuffer()));
  return hasher.digest();
}
