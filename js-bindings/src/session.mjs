// The public API, shaped like onnxruntime-web: env, InferenceSession, Tensor, plus EdgeinferError.
// Platform specifics (how the wasm module is loaded, how a model path is read, how the proxy worker
// starts) come from index.js (browsers, bundlers) or node.js (Node) through setPlatform().
import { EdgeinferError } from './errors.mjs';
import { Tensor } from './tensor.mjs';
import {
  LocalBackend, ProxyBackend, selectVariant, defaultThreads, toCoreFeeds, fromCoreOutputs,
} from './backend.mjs';

export const VERSION = '0.1.0';

export const env = {
  debug: false,                   // log variant choice, downloads and timings to the console
  logLevel: 'warning',
  versions: { edgeinfer: VERSION },
  wasm: {
    numThreads: 0,                // 0: automatic (half the cores, 1..4); 1 disables threads
    simd: true,                   // false forces the baseline (no SIMD) variant
    relaxedSimd: true,            // false: simd-threads even where relaxed SIMD is supported
    proxy: false,                 // true: run the engine in a dedicated Worker started by the package
    wasmPaths: undefined,         // URL prefix (or Node directory) of dist/, or {fileName: url}
    initTimeout: 0,               // ms to wait for the wasm module (0: no limit)
    variant: undefined,           // after start-up: 'relaxed-threads' | 'simd-threads' | 'simd' | 'baseline'; set before to force one
    variantReason: undefined,     // after start-up: why that variant was chosen
  },
};

let platform = null;
export function setPlatform(p) { platform = p; }

export function log(...args) {
  if (env.debug) console.log('[edgeinfer]', ...args);
}

const now = () => (typeof performance === 'object' ? performance.now() : Date.now());

// ------------------------------------------------------------------------------------------------
// The engine: started on first use, shared by every session.

let enginePromise = null;
const liveSessions = new Set();

function withTimeout(promise, ms, what) {
  if (!ms) return promise;
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new EdgeinferError('LoadFailed', `${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

let forcedVariant;  // env.wasm.variant as the caller set it before start-up (restored by disposeEngine)

async function startEngine() {
  const wasm = { ...env.wasm };
  forcedVariant = wasm.variant;
  const t0 = now();
  let engine;
  if (wasm.proxy && platform.canProxy()) {
    log('starting the proxy worker');
    const port = platform.startProxyWorker(wasm);
    engine = new ProxyBackend(port);
    try {
      await withTimeout(engine.init(plainWasmEnv(wasm), env.debug), wasm.initTimeout, 'starting the proxy worker');
    } catch (e) {
      engine.terminate();
      throw e;
    }
    engine.proxied = true;
  } else {
    if (wasm.proxy) log('env.wasm.proxy ignored: no Worker here');
    const cores = platform.cores();
    const { variant, reason } = selectVariant(wasm, platform.isNode, cores);
    const threads = variant.endsWith('-threads') ? wasm.numThreads || defaultThreads(cores) : 1;
    log(`loading the ${variant} wasm module (${reason})`);
    let module;
    try {
      module = await withTimeout(platform.loadModule(variant, { wasmPaths: wasm.wasmPaths, pthreadPoolSize: threads - 1 }),
        wasm.initTimeout, `loading the ${variant} wasm module`);
    } catch (e) {
      throw e instanceof EdgeinferError ? e : new EdgeinferError('LoadFailed', `cannot load the ${variant} wasm module: ${e && e.message || e}`, { cause: e });
    }
    engine = new LocalBackend(module, variant, reason);
    engine.proxied = false;
  }
  env.wasm.variant = engine.variant;
  env.wasm.variantReason = engine.reason;
  log(`wasm variant ${engine.variant} (${engine.reason})${engine.proxied ? ' in a proxy worker' : ''}, ` +
      `started in ${(now() - t0).toFixed(1)} ms`);
  return engine;
}

// env.wasm for the proxy worker: plain data, and wasmPaths made absolute (a relative one means
// relative to the page, not to the worker script).
function plainWasmEnv(w) {
  const wasmPaths = platform.absoluteWasmPaths ? platform.absoluteWasmPaths(w.wasmPaths) : w.wasmPaths;
  return { numThreads: w.numThreads, simd: w.simd, wasmPaths, variant: w.variant, initTimeout: w.initTimeout };
}

export function getEngine() {
  if (!platform) throw new EdgeinferError('Internal', 'edgeinfer: no platform (import the package entry point)');
  if (!enginePromise) {
    enginePromise = startEngine().catch((e) => {
      enginePromise = null;
      throw e;
    });
  }
  return enginePromise;
}

// Extra (not in onnxruntime-web): wasm heap figures of the shared module, for leak checks.
export async function getHeapStats() {
  const engine = await getEngine();
  return engine.heapStats();
}

// Extra: releases every open session and stops the engine (terminates the proxy worker / pthread
// workers), so that changed env.wasm settings apply to the next session created.
export async function disposeEngine() {
  if (!enginePromise) return;
  const p = enginePromise;
  enginePromise = null;
  let engine;
  try { engine = await p; } catch { return; }
  await Promise.allSettled([...liveSessions].map((s) => s.release()));
  if (engine.proxied) engine.terminate();
  else if (engine.module.PThread && engine.module.PThread.terminateAllThreads) engine.module.PThread.terminateAllThreads();
  env.wasm.variant = forcedVariant;
  env.wasm.variantReason = undefined;
}

// ------------------------------------------------------------------------------------------------
// Model bytes.

function abortError(signal) {
  return new EdgeinferError('Aborted', 'session creation was aborted', { cause: signal && signal.reason });
}
const checkAbort = (signal) => { if (signal && signal.aborted) throw abortError(signal); };

// Downloads with fetch(), reporting progress per chunk. total is 0 when the size is not known
// (no Content-Length, or a compressed transfer whose length is not the body's).
export async function fetchBytes(url, { onProgress, signal } = {}) {
  let res;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    if (signal && signal.aborted) throw abortError(signal);
    throw new EdgeinferError('LoadFailed', `cannot fetch model ${url}: ${e && e.message || e}`, { cause: e });
  }
  if (!res.ok) throw new EdgeinferError('LoadFailed', `cannot fetch model ${url}: HTTP ${res.status} ${res.statusText}`);
  const encoding = res.headers.get('content-encoding');
  let total = Number(res.headers.get('content-length')) || 0;
  if (encoding && encoding !== 'identity') total = 0;
  if (!res.body || typeof res.body.getReader !== 'function') {
    const buf = new Uint8Array(await res.arrayBuffer());
    if (onProgress) onProgress(buf.length, buf.length);
    return buf;
  }
  const reader = res.body.getReader();
  const chunks = [];
  let loaded = 0;
  let out = total ? new Uint8Array(total) : null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (out && loaded + value.length <= out.length) out.set(value, loaded);
      else {
        if (out) { chunks.push(out.subarray(0, loaded)); out = null; }
        chunks.push(value);
      }
      loaded += value.length;
      if (onProgress) onProgress(loaded, total);
    }
  } catch (e) {
    if (signal && signal.aborted) throw abortError(signal);
    throw new EdgeinferError('LoadFailed', `download of ${url} failed: ${e && e.message || e}`, { cause: e });
  }
  checkAbort(signal);
  let bytes;
  if (out && loaded === out.length) bytes = out;
  else {
    if (out) chunks.push(out.subarray(0, loaded));
    bytes = new Uint8Array(loaded);
    let at = 0;
    for (const c of chunks) { bytes.set(c, at); at += c.length; }
  }
  if (onProgress && loaded !== total) onProgress(loaded, loaded);
  return bytes;
}

// A model bundle (docs/BUNDLE_FORMAT.md): a URL ending in manifest.json, or options.bundle set.
// Loads through the offline chunk store (dist/bundle-store.mjs, built from service-worker/src) where
// IndexedDB exists, else fetches the chunks directly; signature, runtime range and hashes are checked.
function isBundleManifest(url, options) {
  if (options.bundle === false) return false;
  return !!options.bundle || /manifest\.json(?:[?#].*)?$/.test(url);
}

async function readBundle(url, options) {
  const { signal, onProgress } = options;
  const bundle = typeof options.bundle === 'object' && options.bundle !== null ? options.bundle : {};
  let store;
  try {
    store = await import('./bundle-store.mjs');
  } catch (e) {
    throw new EdgeinferError('LoadFailed', `bundle support is missing (bundle-store.mjs): ${e && e.message || e}`, { cause: e });
  }
  try {
    const r = await store.loadBundle(url, {
      runtimeVersion: VERSION, ...bundle, signal,
      onProgress: onProgress && ((p) => onProgress(p.bytesDone, p.bytesTotal)),
    });
    return r.bytes;
  } catch (e) {
    if (signal && signal.aborted) throw abortError(signal);
    const err = new EdgeinferError('LoadFailed', `cannot load bundle ${url}: ${e && e.message || e}`, { cause: e });
    if (e && e.code) err.bundleCode = e.code;
    throw err;
  }
}

// ------------------------------------------------------------------------------------------------
// Options.

const OPT_LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'];

function coreOptions(options) {
  const o = { optimize: true, threads: 0 };
  const level = options.graphOptimizationLevel;
  if (level !== undefined) {
    if (!OPT_LEVELS.includes(level)) {
      throw new EdgeinferError('InvalidArgument', `graphOptimizationLevel must be one of ${OPT_LEVELS.join(', ')}, got '${level}'`);
    }
    o.optimize = level !== 'disabled';
  }
  const threads = options.intraOpNumThreads ?? options.numThreads;
  if (threads !== undefined) {
    if (!Number.isInteger(threads) || threads < 0) {
      throw new EdgeinferError('InvalidArgument', `intraOpNumThreads must be a whole number >= 0, got ${threads}`);
    }
    o.threads = threads;
  } else if (env.wasm.numThreads) {
    o.threads = env.wasm.numThreads;
  }
  const eps = options.executionProviders;
  if (eps !== undefined) {
    const names = (Array.isArray(eps) ? eps : [eps]).map((e) => (typeof e === 'string' ? e : e && e.name));
    if (names.length && !names.some((n) => n === 'wasm' || n === 'cpu')) {
      throw new EdgeinferError('Unsupported', `no supported execution provider in [${names.join(', ')}]: edgeinfer runs on 'wasm' (alias 'cpu')`);
    }
  }
  return o;
}

// ------------------------------------------------------------------------------------------------

export class InferenceSession {
  constructor(engine, info) {
    this._engine = engine;
    this._id = info.id;
    this._released = false;
    this._queue = Promise.resolve();
    this.inputMetadata = Object.freeze(info.inputMetadata.map(toMetadata));
    this.outputMetadata = Object.freeze(info.outputMetadata.map(toMetadata));
    this.inputNames = Object.freeze(info.inputMetadata.map((m) => m.name));
    this.outputNames = Object.freeze(info.outputMetadata.map((m) => m.name));
    this.numThreads = info.numThreads;         // extra: threads this session runs on
    this.variant = engine.variant;             // extra: the wasm variant in use
  }

  // create(url | path | ArrayBuffer | Uint8Array, options?)  or  create(buffer, byteOffset, byteLength?, options?)
  static async create(arg0, arg1, arg2, arg3) {
    let options = {};
    let bytes = null;
    let url = null;
    let owned = false;  // bytes are ours to transfer (a download), not the caller's
    if (typeof arg0 === 'string' || (typeof URL === 'function' && arg0 instanceof URL)) {
      url = String(arg0);
      options = arg1 ?? {};
    } else if (arg0 instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && arg0 instanceof SharedArrayBuffer)) {
      if (typeof arg1 === 'number') {
        const len = typeof arg2 === 'number' ? arg2 : arg0.byteLength - arg1;
        bytes = new Uint8Array(arg0, arg1, len);
        options = (typeof arg2 === 'number' ? arg3 : arg2) ?? {};
      } else {
        bytes = new Uint8Array(arg0);
        options = arg1 ?? {};
      }
    } else if (ArrayBuffer.isView(arg0)) {
      bytes = new Uint8Array(arg0.buffer, arg0.byteOffset, arg0.byteLength);
      options = arg1 ?? {};
    } else {
      throw new EdgeinferError('InvalidArgument',
        'InferenceSession.create needs a model URL/path string, an ArrayBuffer or a Uint8Array');
    }
    if (typeof options !== 'object' || options === null) throw new EdgeinferError('InvalidArgument', 'options must be an object');
    const { signal, onProgress } = options;
    const opts = coreOptions(options);
    checkAbort(signal);

    const t0 = now();
    // The engine starts while the model downloads; if the download fails first, the engine's own
    // failure (if any) is not left as an unhandled rejection.
    const enginePromise = getEngine();
    enginePromise.catch(() => {});
    if (url !== null && isBundleManifest(url, options)) {
      bytes = await readBundle(url, options);
      owned = true;
      log(`read ${bytes.length} bytes of bundle ${url} in ${(now() - t0).toFixed(1)} ms`);
    } else if (url !== null) {
      bytes = await platform.readModel(url, { signal, onProgress });
      owned = true;
      log(`read ${bytes.length} bytes from ${url} in ${(now() - t0).toFixed(1)} ms`);
    }
    const engine = await enginePromise;
    checkAbort(signal);
    if (engine.proxied && !owned) bytes = bytes.slice();  // transferred to the worker: never detach the caller's
    const t1 = now();
    const info = await engine.createSession(bytes, opts);
    const session = new InferenceSession(engine, info);
    liveSessions.add(session);
    if (signal && signal.aborted) {
      await session.release();
      throw abortError(signal);
    }
    log(`session created in ${(now() - t1).toFixed(1)} ms (${session.numThreads} thread(s), ${engine.variant})`);
    return session;
  }

  // run(feeds, fetches?, options?): fetches is an array of output names or an object keyed by output
  // name (its values are ignored: outputs are always new tensors). Calls on one session are queued.
  run(feeds, arg1, arg2) {
    let fetches;
    if (Array.isArray(arg1)) fetches = arg1;
    else if (arg1 && typeof arg1 === 'object' && arg2 !== undefined) fetches = Object.keys(arg1);
    else if (arg1 && typeof arg1 === 'object' && Object.keys(arg1).length &&
             Object.keys(arg1).every((k) => this.outputNames.includes(k))) fetches = Object.keys(arg1);
    // else: arg1 is RunOptions (logSeverityLevel, tag, ...), accepted and ignored
    const task = async () => {
      if (this._released) throw new EdgeinferError('Released', 'the session has been released');
      const coreFeeds = toCoreFeeds(feeds);
      if (fetches !== undefined) {
        for (const f of fetches) {
          if (typeof f !== 'string') throw new EdgeinferError('InvalidArgument', 'fetches must be output names');
        }
      }
      const out = await this._engine.run(this._id, coreFeeds, fetches && fetches.length ? fetches : undefined);
      return fromCoreOutputs(out);
    };
    const result = this._queue.then(task);
    this._queue = result.then(() => {}, () => {});
    return result;
  }

  // Waits for queued runs, then frees the native session. Idempotent.
  release() {
    const result = this._queue.then(async () => {
      if (this._released) return;
      this._released = true;
      liveSessions.delete(this);
      await this._engine.release(this._id);
    });
    this._queue = result.then(() => {}, () => {});
    return result;
  }

  startProfiling() {}
  endProfiling() {}
}

function toMetadata(m) {
  return Object.freeze({ name: m.name, isTensor: true, type: m.dtype, shape: Object.freeze(m.dims.slice()) });
}

export { Tensor, EdgeinferError };
