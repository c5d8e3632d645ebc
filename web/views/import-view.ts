import { html, type TemplateResult } from 'lit';
import type { ImportSource } from '../import-source';

type Picked = { path: string; blob: Blob };

/** Every file below a dropped entry, with its path inside the drop. */
async function filesOfEntry(entry: FileSystemEntry, prefix = ''): Promise<Picked[]> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ path: `${prefix}${entry.name}`, blob: file }];
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    children.push(...batch);
  }
  const nested = await Promise.all(children.map((child) => filesOfEntry(child, `${prefix}${entry.name}/`)));
  return nested.flat();
}

/** What was dropped: a zip, or files and folders (walked, paths kept). */
export async function sourceOfDrop(data: DataTransfer): Promise<ImportSource | null> {
  const entries = [...data.items].map((item) => item.webkitGetAsEntry()).filter((e): e is FileSystemEntry => e !== null);
  const files = [...data.files];
  if (files.length === 1 && files[0]!.name.toLowerCase().endsWith('.zip')) return { zip: files[0]! };
  const picked = (await Promise.all(entries.map((e) => filesOfEntry(e)))).flat();
  return picked.length ? { files: picked } : null;
}

export function sourceOfInput(input: HTMLInputElement): ImportSource | null {
  const files = [...(input.files ?? [])];
  if (!files.length) return null;
  if (files.length === 1 && files[0]!.name.toLowerCase().endsWith('.zip')) return { zip: files[0]! };
  return { files: files.map((f) => ({ path: f.webkitRelativePath || f.name, blob: f })) };
}

export interface ImportViewProps {
  busy: boolean;
  progress: { done: number; total: number } | null;
  onImport(source: ImportSource, name: string): void;
}

/** What a project is called when no name is typed: the picked folder's or zip's own name. */
export function sourceName(source: ImportSource): string {
  if ('zip' in source) return source.zip.name.replace(/\.zip$/i, '');
  if ('directory' in source) return source.directory.name;
  const first = source.files[0]?.path ?? '';
  return first.includes('/') ? first.slice(0, first.indexOf('/')) : '';
}

/** Folder picker, zip picker and a drop zone, with a name for the new project. */
export function importView(p: ImportViewProps): TemplateResult {
  const name = (root: HTMLElement, source: ImportSource): string =>
    root.querySelector<HTMLInputElement>('#project-name')?.value.trim() || sourceName(source) || 'My dataset';
  const fromInput = (event: Event): void => {
    const input = event.target as HTMLInputElement;
    const source = sourceOfInput(input);
    if (source) p.onImport(source, name(input.closest('section')!, source));
    input.value = '';
  };
  const onDrop = async (event: DragEvent): Promise<void> => {
    event.preventDefault();
    const zone = event.currentTarget as HTMLElement; // null once the event is over, so taken before the await
    zone.classList.remove('over');
    const source = event.dataTransfer ? await sourceOfDrop(event.dataTransfer) : null;
    if (source) p.onImport(source, name(zone.closest('section')!, source));
  };
  const pickFolder = (event: Event): void => (event.currentTarget as HTMLElement).closest('section')!.querySelector<HTMLInputElement>('#folder')!.click();
  return html`
    <section part="import" aria-labelledby="import-title">
      <h2 id="import-title">1. Your images</h2>
      <p class="muted">One folder per class, named after it (<code>flowers/daisy/*.jpg</code>, <code>flowers/rose/*.jpg</code>…). Files stay on this device.</p>
      <div class="row">
        <label for="project-name">Project name</label>
        <input id="project-name" type="text" placeholder="the folder's name" ?disabled=${p.busy} />
      </div>
      <div
        class="drop"
        tabindex="0"
        role="button"
        aria-label="Drop a folder, images or a zip here, or press Enter to pick a folder"
        @dragover=${(e: DragEvent) => {
          e.preventDefault();
          (e.currentTarget as HTMLElement).classList.add('over');
        }}
        @dragleave=${(e: DragEvent) => (e.currentTarget as HTMLElement).classList.remove('over')}
        @drop=${onDrop}
        @keydown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && pickFolder(e)}
      >
        Drop a folder, images or a .zip here
      </div>
      <div class="row">
        <label class="button-like">Pick a folder… <input id="folder" type="file" webkitdirectory multiple @change=${fromInput} ?disabled=${p.busy} /></label>
        <label class="button-like">Pick a .zip… <input id="zip" type="file" accept=".zip,application/zip" @change=${fromInput} ?disabled=${p.busy} /></label>
        ${p.progress ? html`<progress aria-label="Importing images" max=${p.progress.total} .value=${p.progress.done}></progress> <span>${p.progress.done} / ${p.progress.total}</span>` : ''}
      </div>
    </section>
  `;
}
