// Browsers, Web Workers and bundled apps: the wasm files are fetched from URLs (by default beside
// this file; env.wasm.wasmPaths moves them), the Emscripten glue is imported as an ES module.
import { fetchBytes } from './session.mjs';

const HERE = import.meta.url;
const pageUrl = () => (typeof location === 'object' && location.href) || HERE;

// URL of one of the package's dist/ files. wasmPaths: a URL prefix (ends with '/') or {fileName: url}.
export function fileUrl(name, wasmPaths) {
  if (wasmPaths && typeof wasmPaths === 'object' && wasmPaths[name]) return new URL(wasmPaths[name], pageUrl()).href;
  if (typeof wasmPaths === 'string' && wasmPaths) return new URL(name, new URL(wasmPaths, pageUrl())).href;
  return new URL(name, HERE).href;
}

export const browserPlatform = {
  isNode: false,
  canProxy: () => typeof Worker === 'function',
  absoluteWasmPaths(wasmPaths) {
    if (typeof wasmPaths === 'string' && wasmPaths) return new URL(wasmPaths, pageUrl()).href;
    if (wasmPaths && typeof wasmPaths === 'object') {
      return Object.fromEntries(Object.entries(wasmPaths).map(([k, v]) => [k, new URL(v, pageUrl()).href]));
    }
    return wasmPaths;
  },
  cores: () => (typeof navigator === 'object' && navigator.hardwareConcurrency) || 0,

  async loadModule(variant, { wasmPaths, pthreadPoolSize }) {
    const base = `edgeinfer-${variant}`;
    const jsUrl = fileUrl(`${base}.js`, wasmPaths);
    const wasmUrl = fileUrl(`${base}.wasm`, wasmPaths);
    const workerUrl = fileUrl(`${base}.worker.js`, wasmPaths);
    // A computed URL: bundlers leave the import alone (the glue is fetched at run time, not bundled).
    const mjsUrl = fileUrl(`${base}.mjs`, wasmPaths);
    const factory = (await import(/* webpackIgnore: true */ /* @vite-ignore */ mjsUrl)).default;
    return factory({
      locateFile: (path) => (path.endsWith('.wasm') ? wasmUrl : path.endsWith('.worker.js') ? workerUrl : fileUrl(path, wasmPaths)),
      // pthread workers load the classic script of the same glue with importScripts().
      mainScriptUrlOrBlob: jsUrl,
      pthreadPoolSize: Math.max(1, pthreadPoolSize),
    });
  },

  readModel(url, options) {
    return fetchBytes(new URL(url, pageUrl()).href, options);
  },

  // The proxy worker is a module worker beside this file (or under env.wasm.wasmPaths).
  startProxyWorker(wasm) {
    const worker = new Worker(fileUrl('proxy-worker.mjs', wasm.wasmPaths), { type: 'module', name: 'edgeinfer-proxy' });
    return {
      post: (msg, transfer) => worker.postMessage(msg, transfer),
      onMessage: (fn) => worker.addEventListener('message', (e) => fn(e.data)),
      onError: (fn) => {
        worker.addEventListener('error', (e) => fn(e.message || 'worker error (script failed to load?)'));
        worker.addEventListener('messageerror', () => fn('message could not be deserialized'));
      },
      terminate: () => worker.terminate(),
    };
  },
};
