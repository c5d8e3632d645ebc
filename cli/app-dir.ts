// Where the command line finds its files: the repository's when it runs from source (tsx cli/...), the
// package's lib/ when it runs installed (lib/cli/*.js beside lib/browser/, the published runner page).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Whether this is the published package (lib/cli) rather than the repository's source (cli/). */
export const INSTALLED = existsSync(join(here, '..', 'browser', 'runner.html'));
/** The runner page and the worker it starts, served to headless Chromium. */
export const APP_DIR = INSTALLED ? join(here, '..', 'browser') : join(here, '..', 'dist');
/** The repository's root, where the bundled sample and its default output folder are; null when installed. */
export const REPOSITORY_ROOT = INSTALLED ? null : join(here, '..');
