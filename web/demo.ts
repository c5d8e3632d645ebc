// The demo page: the element, the bundled sample one click away, every stored project and cached base.
import { registerSW } from 'virtual:pwa-register';
import './finetune-trainer';
import { formatMB, formatSize } from '../src/units';
import type { ProjectSummary } from '../src/store/projects';

registerSW({ immediate: true });

const trainer = document.querySelector('finetune-trainer')!;
const api = () => trainer.controller.client.api;

function item(text: string, actions: [string, () => void][]): HTMLLIElement {
  const li = document.createElement('li');
  const label = document.createElement('div');
  label.textContent = text; // names are user data: always text, never HTML
  li.append(label);
  for (const [name, action] of actions) {
    const button = document.createElement('button');
    button.textContent = name;
    button.addEventListener('click', action);
    li.append(button);
  }
  return li;
}

function fill(list: HTMLUListElement, items: HTMLLIElement[], empty: string): void {
  list.replaceChildren(...(items.length ? items : [Object.assign(document.createElement('li'), { className: 'muted', textContent: empty })]));
}

/** A stored project's state as the list says it: nothing here trains it unless this page does. */
function projectState(p: Pick<ProjectSummary, 'status' | 'cursor' | 'checkpoint'>): string {
  if (p.cursor?.done || p.status === 'done') return 'done';
  return p.checkpoint ? `stopped at ${p.checkpoint}` : 'not trained yet';
}

async function refresh(): Promise<void> {
  const [projects, bases, storage] = await Promise.all([api().listProjects(), api().listBases(), api().storage()]);
  fill(
    document.querySelector<HTMLUListElement>('#projects')!,
    projects.map((p) =>
      item(`${p.name}: ${p.imageCount} images, ${p.classes.length} classes, ${projectState(p)}`, [
        ['Open', () => (trainer.project = p.id)],
        [
          'Delete',
          () => {
            if (!confirm(`Delete project "${p.name}" and everything stored for it?`)) return;
            if (trainer.project === p.id) trainer.project = '';
            void api().deleteProject(p.id).then(refresh);
          },
        ],
      ]),
    ),
    'None yet.',
  );
  fill(
    document.querySelector<HTMLUListElement>('#bases')!,
    bases.map((b) => item(`${b.key} (${formatMB(b.bytes)})`, [['Delete', () => void api().deleteBase(b.key).then(refresh)]])),
    'None yet.',
  );
  document.querySelector('#storage')!.textContent = storage
    ? `This site stores ${formatSize(storage.usage)} of the ${formatSize(storage.quota)} it may use.`
    : '';
}

document.querySelector('#load-sample')!.addEventListener('click', async (event) => {
  const button = event.currentTarget as HTMLButtonElement;
  button.disabled = true;
  try {
    const index = (await (await fetch('samples/flowers4/index.json')).json()) as { name: string; files: string[] };
    const files = await Promise.all(index.files.map(async (path) => ({ path, blob: await (await fetch(`samples/flowers4/${path}`)).blob() })));
    await trainer.importDataset('flowers4 sample', { files });
  } finally {
    button.disabled = false;
  }
});

new MutationObserver(() => void refresh()).observe(trainer, { attributes: true, attributeFilter: ['project'] });
for (const type of ['finetune-complete', 'finetune-error', 'finetune-stage'] as const) trainer.addEventListener(type, () => void refresh());
void refresh();
