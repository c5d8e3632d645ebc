// `npm run finetune -- ...`: the command line from the repository's source. --help answers at once;
// anything else builds the app first (quietly: only errors print), so a run serves what the source says.
import { join } from 'node:path';
import { FINETUNE_USAGE, wantsHelp } from './args';

const argv = process.argv.slice(2);
if (wantsHelp(argv)) {
  console.log(FINETUNE_USAGE);
} else {
  const { build } = await import('vite');
  await build({ configFile: join(import.meta.dirname, '..', 'vite.config.ts'), logLevel: 'error' });
  const { main } = await import('./finetune');
  process.exitCode = await main(argv);
}
