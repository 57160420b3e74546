// Node 18+: the CommonJS glue is loaded with require() and given the .wasm bytes (Emscripten 3.1.6
// cannot fetch() a file path); models are read from paths, file: URLs or fetched from http(s) URLs.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { fetchBytes } from './session.mjs';
import { EdgeinferError } from './errors.mjs';

const require = createRequire(import.meta.url);
const HERE_DIR = path.dirname(fileURLToPath(import.meta.url));

function filePath(name, wasmPaths) {
  if (wasmPaths && typeof wasmPaths === 'object' && wasmPaths[name]) return toPath(wasmPaths[name]);
  if (typeof wasmPaths === 'string' && wasmPaths) return path.join(toPath(wasmPaths), name);
  return path.join(HERE_DIR, name);
}
const toPath = (p) => (String(p).startsWith('file:') ? fileURLToPath(p) : String(p));

async function readFileWithProgress(file, { onProgress, signal }) {
  let handle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch (e) {
    throw new EdgeinferError('LoadFailed', `cannot read model ${file}: ${e.message}`, { cause: e });
  }
  try {
    const { size } = await handle.stat();
    const bytes = new Uint8Array(size);
    let loaded = 0;
    const chunk = 1 << 20;
    while (loaded < size) {
      if (signal && signal.aborted) throw new EdgeinferError('Aborted', 'session creation was aborted', { cause: signal.reason });
      const { bytesRead } = await handle.read(bytes, loaded, Math.min(chunk, size - loaded), loaded);
      if (bytesRead === 0) break;
      loaded += bytesRead;
      if (onProgress) onProgress(loaded, size);
    }
    return loaded === size ? bytes : bytes.subarray(0, loaded);
  } finally {
    await handle.close();
  }
}

export const nodePlatform = {
  isNode: true,
  canProxy: () => true,
  cores: () => os.cpus().length,

  async loadModule(variant, { wasmPaths, pthreadPoolSize }) {
    const base = `edgeinfer-${variant}`;
    const factory = require(filePath(`${base}.js`, wasmPaths));
    const wasmBinary = fs.readFileSync(filePath(`${base}.wasm`, wasmPaths));
    const workerPath = filePath(`${base}.worker.js`, wasmPaths);
    return factory({
      wasmBinary,
      locateFile: (p) => (p.endsWith('.worker.js') ? workerPath : filePath(p, wasmPaths)),
      pthreadPoolSize: Math.max(1, pthreadPoolSize),
    });
  },

  readModel(src, options) {
    if (/^https?:/i.test(src)) return fetchBytes(src, options);
    return readFileWithProgress(toPath(src), options);
  },

  // worker_threads Worker running proxy-worker.mjs.
  startProxyWorker(wasm) {
    const { Worker } = require('node:worker_threads');
    const worker = new Worker(pathToFileURL(filePath('proxy-worker.mjs', wasm.wasmPaths)), { name: 'edgeinfer-proxy' });
    worker.unref();  // an idle engine must not keep the process alive; a pending request does
    return {
      post: (msg, transfer) => worker.postMessage(msg, transfer),
      onMessage: (fn) => worker.on('message', fn),
      onError: (fn) => {
        worker.on('error', (e) => fn(e && e.message || String(e)));
        worker.on('exit', (code) => fn(`worker exited with code ${code}`));
      },
      terminate: () => worker.terminate(),
      busy: (yes) => (yes ? worker.ref() : worker.unref()),
    };
  },
};
