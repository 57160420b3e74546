// Cross-origin isolation headers the service worker puts on every response it serves, so the page
// (and its workers) stay crossOriginIsolated offline and on static hosts that cannot set headers.
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const TYPES = { js: 'text/javascript', mjs: 'text/javascript', wasm: 'application/wasm', html: 'text/html; charset=utf-8',
  json: 'application/json', onnx: 'application/octet-stream', css: 'text/css' };

export function contentTypeFor(url) {
  const m = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(new URL(url).pathname);
  return (m && TYPES[m[1].toLowerCase()]) || null;
}

// A copy of response with the isolation headers (and a Content-Type where it was missing).
export function withIsolation(response, url) {
  if (!response || response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [k, v] of Object.entries(ISOLATION_HEADERS)) headers.set(k, v);
  if (!headers.get('Content-Type') && url) {
    const t = contentTypeFor(url);
    if (t) headers.set('Content-Type', t);
  }
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
