// Opt-in cross-origin isolation for hosts that cannot set response headers (GitHub Pages, some CDNs).
// The wasm backend runs a thread per core only in a cross-origin isolated page, which takes two headers:
//   Cross-Origin-Opener-Policy: same-origin
//   Cross-Origin-Embedder-Policy: require-corp
// Copy this file to your site's root and load it first: <script src="/coi-serviceworker.js"></script>
// (the root, because a service worker only sees the scripts under its own folder, the worker's among them).
// In the page it registers itself as a service worker and reloads once; as that service worker it adds
// both headers to every response from the page's own origin. Then every cross-origin resource the page
// loads must allow it (CORS, or Cross-Origin-Resource-Policy: cross-origin), as with the real headers.
// Not for a page that already has a service worker of its own at the same scope: it would replace it.
/* eslint-env browser, serviceworker */
if (typeof window === 'undefined') {
  self.addEventListener('install', () => self.skipWaiting());
  self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
  self.addEventListener('fetch', (event) => {
    const request = event.request;
    if (new URL(request.url).origin !== self.location.origin) return;
    if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
    event.respondWith(
      fetch(request).then((response) => {
        if (response.status === 0) return response;
        const headers = new Headers(response.headers);
        headers.set('Cross-Origin-Opener-Policy', 'same-origin');
        headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
        headers.set('Cross-Origin-Resource-Policy', 'same-origin');
        return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
      }),
    );
  });
} else {
  const FLAG = 'coi-serviceworker-reloaded';
  const say = (message) => console.warn(`coi-serviceworker: ${message}`);
  if (window.crossOriginIsolated) {
    sessionStorage.removeItem(FLAG);
  } else if (!window.isSecureContext || !('serviceWorker' in navigator)) {
    say('service workers need a secure context (https, or localhost): the page stays without threads');
  } else if (sessionStorage.getItem(FLAG)) {
    sessionStorage.removeItem(FLAG);
    say('the page is still not cross-origin isolated after one reload (another service worker at this scope?); it stays without threads');
  } else {
    const reload = () => {
      sessionStorage.setItem(FLAG, '1');
      location.reload();
    };
    // Reload once it controls the page: at once when it already does or is active (a hard reload bypasses
    // it), else when it takes over (first visit: installing, then clients.claim()).
    navigator.serviceWorker.register(document.currentScript.src).then(
      (registration) =>
        navigator.serviceWorker.controller || registration.active ? reload() : navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true }),
      (error) => say(`registration failed (${error.message}): the page stays without threads`),
    );
  }
}
