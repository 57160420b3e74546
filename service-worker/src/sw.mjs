// The edgeinfer service worker (built by service-worker/build.mjs into a classic script, sw.js).
//  - Workbox precache: the app shell, the JS package and the wasm variants (list injected at build).
//  - Model bundles: manifest.json network-first with the stored manifest as the offline answer;
//    chunks/<sha256> from the IndexedDB chunk store when present (verified at install), else network;
//    <scope>edgeinfer-models/<name>/model.onnx assembles the loading version's payload from the store.
//  - Every response it serves carries COOP/COEP/CORP (headers.mjs), so the page stays isolated.
import { precacheAndRoute, addPlugins, cleanupOutdatedCaches, matchPrecache } from 'workbox-precaching';
import { registerRoute, setDefaultHandler } from 'workbox-routing';
import { withIsolation } from './headers.mjs';
import { openModelStore, indexedDBAvailable } from './store.mjs';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

addPlugins([{ handlerWillRespond: async ({ request, response }) => withIsolation(response, request.url) }]);
// eslint-disable-next-line no-undef
// Query parameters do not change the app shell's files (the demo page takes its settings from them).
precacheAndRoute(self.__EDGEINFER_PRECACHE || [], { ignoreURLParametersMatching: [/.*/] });
cleanupOutdatedCaches();

let storePromise = null;
const store = () => {
  if (!indexedDBAvailable()) return Promise.resolve(null);
  if (!storePromise) storePromise = openModelStore().catch(() => { storePromise = null; return null; });
  return storePromise;
};
const octet = (bytes, url) => withIsolation(new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream',
  'Content-Length': String(bytes.byteLength), 'Cache-Control': 'no-cache' } }), url);

const sameOrigin = (url) => url.origin === self.location.origin;

// Chunks: immutable, content-addressed. A Range request for a chunk not yet stored goes to the network.
registerRoute(({ url, request }) => sameOrigin(url) && /\/chunks\/[0-9a-f]{64}$/.test(url.pathname) && request.method === 'GET',
  async ({ url, request }) => {
    const s = await store();
    const sha = url.pathname.slice(-64);
    if (s && !request.headers.has('Range')) {
      const b = await s.db.get('chunks', sha);
      if (b) return octet(b, url.href);
    }
    return withIsolation(await fetch(request), url.href);
  });

// Manifests: network first (updates), stored copy when offline.
registerRoute(({ url, request }) => sameOrigin(url) && url.pathname.endsWith('/manifest.json') && request.method === 'GET',
  async ({ url, request }) => {
    try {
      return withIsolation(await fetch(request), url.href);
    } catch (e) {
      const s = await store();
      if (s) {
        const recs = await s.db.getAll('manifests');
        const hit = recs.filter((r) => r.url === url.href && r.complete).pop();
        if (hit) return withIsolation(new Response(JSON.stringify(hit.manifest), { headers: { 'Content-Type': 'application/json' } }), url.href);
      }
      throw e;
    }
  });

// Whole payload of an installed model.
registerRoute(({ url }) => sameOrigin(url) && /\/edgeinfer-models\/[^/]+\/model\.onnx$/.test(url.pathname),
  async ({ url }) => {
    const s = await store();
    const name = decodeURIComponent(url.pathname.split('/').slice(-2)[0]);
    try {
      const { bytes } = await s.loadPayload(name);
      return octet(bytes, url.href);
    } catch (e) {
      return withIsolation(new Response(String(e && e.message || e), { status: 404, headers: { 'Content-Type': 'text/plain' } }), url.href);
    }
  });

// Everything else: the network, with the isolation headers added; navigations fall back to the
// precached page when offline.
setDefaultHandler(async ({ request, url }) => {
  try {
    return withIsolation(await fetch(request), url.href);
  } catch (e) {
    const cached = request.mode === 'navigate' ? await matchPrecache('index.html') : null;
    if (cached) return withIsolation(cached, url.href);
    throw e;
  }
});
