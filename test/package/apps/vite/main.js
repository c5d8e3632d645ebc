// A Vite app's one import of the installed package.
import 'finetune-trainer';

document.body.dataset.embedded = String(customElements.get('finetune-trainer') !== undefined);
