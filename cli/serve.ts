// npm start [-- --port 5173]: the demo app, served from 127.0.0.1 with the headers it needs (cross-origin
// isolation, so the wasm backend may use threads).
import { parseArgs } from 'node:util';
import { APP_DIR } from './app-dir';
import { startServer } from './server';

const { values } = parseArgs({ options: { port: { type: 'string', default: '5173' } } });
const server = await startServer({ appDir: APP_DIR, port: Number(values.port) }).catch((error: Error) => {
  console.error(`error: cannot serve on 127.0.0.1:${values.port}: ${error.message} (try --port)`);
  process.exit(1);
});
console.log(`finetune-trainer demo: ${server.url}/  (Ctrl-C to stop)`);
process.on('SIGINT', () => void server.close().then(() => process.exit(0)));
