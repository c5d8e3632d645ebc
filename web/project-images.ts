import type { StoredImage } from '../src/store/projects';

/** The shown project's images: their bytes by path, and the object URLs made for them, freed together. */
export class ProjectImages {
  private urls: string[] = [];
  private blobs = new Map<string, Blob>();
  private byPath = new Map<string, string>();

  /** Shows these images instead (the URLs made for the last ones are freed). */
  show(images: readonly StoredImage[]): void {
    this.revoke();
    this.blobs = new Map(images.map((i) => [i.path, i.blob]));
  }

  /** An object URL for `blob`, freed with the others. */
  objectUrl(blob: Blob): string {
    const url = URL.createObjectURL(blob);
    this.urls.push(url);
    return url;
  }

  /** The object URL of a stored image, made on first use. */
  url(path: string): string | undefined {
    const blob = this.blobs.get(path);
    if (!blob) return undefined;
    const url = this.byPath.get(path) ?? this.objectUrl(blob);
    this.byPath.set(path, url);
    return url;
  }

  /** Frees every object URL made so far. */
  revoke(): void {
    this.urls.forEach((u) => URL.revokeObjectURL(u));
    this.urls = [];
    this.byPath = new Map();
  }
}
