// vite-plugin-pwa's own client types pull in Workbox's, which redeclare DOM types (Blob among them)
// against the WebWorker library; this is the one function the demo uses.
declare module 'virtual:pwa-register' {
  export function registerSW(options?: { immediate?: boolean; onOfflineReady?: () => void }): (reloadPage?: boolean) => Promise<void>;
}
