// The engine behind every session: one wasm module instance per JS realm (page, worker, Node process),
// shared by all sessions, either here (LocalBackend) or in a dedicated Worker (ProxyBackend).
// Both expose the same promise-returning calls, so InferenceSession does not care which it has.
import { EdgeinferError, isErrorValue, fromErrorValue, deserializeError } from './errors.mjs';
import { Tensor } from './tensor.mjs';

// relaxed-threads: simd-threads plus relaxed SIMD's 8-bit dot product in the int8 GEMM kernels (used where
// the engine computes it exactly; the module checks at start-up and otherwise runs the simd-threads kernels).
export const VARIANTS = ['simd-threads', 'simd', 'baseline', 'relaxed-threads'];

// (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt): validates only where SIMD128 is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0,
  65, 0, 253, 15, 253, 98, 11]);

export function detectSimd() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

// (func (param v128 v128 v128) (result v128) local.get 0..2 i32x4.relaxed_dot_i8x16_i7x16_add_s): validates only
// where relaxed SIMD is supported (Chrome 114+, Firefox 146+; Node 20 only with --experimental-wasm-relaxed-simd).
const RELAXED_SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0,
  10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 147, 2, 11]);

export function detectRelaxedSimd() {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
}

// Threads need SharedArrayBuffer, and in a browser a cross-origin isolated page (COOP same-origin +
// COEP require-corp), else wasm memory cannot be shared with workers.
export function detectThreads(isNode) {
  if (!isNode && globalThis.crossOriginIsolated !== true) {
    return { ok: false, why: 'not cross-origin isolated (serve COOP: same-origin and COEP: require-corp)' };
  }
  if (typeof SharedArrayBuffer === 'undefined') return { ok: false, why: 'no SharedArrayBuffer' };
  if (isNode) return { ok: true, why: 'Node worker_threads' };
  if (typeof Worker === 'undefined') return { ok: false, why: 'no Worker in this context' };
  return { ok: true, why: 'SharedArrayBuffer and crossOriginIsolated' };
}

// Default thread count: half the cores, at least 1, at most 4 (onnxruntime-web's rule).
export function defaultThreads(cores) {
  cores = cores || (typeof navigator === 'object' && navigator.hardwareConcurrency) || 4;
  return Math.max(1, Math.min(4, Math.ceil(cores / 2)));
}

// Picks the variant from feature detection and the env.wasm settings; returns {variant, reason}.
export function selectVariant(wasmEnv, isNode, cores) {
  const forced = wasmEnv.variant;
  if (forced !== undefined && forced !== null && forced !== 'auto') {
    if (!VARIANTS.includes(forced)) {
      throw new EdgeinferError('InvalidArgument', `env.wasm.variant must be one of ${VARIANTS.join(', ')}, got '${forced}'`);
    }
    return { variant: forced, reason: 'set by env.wasm.variant' };
  }
  const simd = detectSimd();
  const threads = detectThreads(isNode);
  const numThreads = wasmEnv.numThreads || defaultThreads(cores);
  if (wasmEnv.simd === false) return { variant: 'baseline', reason: 'SIMD disabled by env.wasm.simd = false' };
  if (!simd) return { variant: 'baseline', reason: 'WebAssembly SIMD128 not supported' };
  if (numThreads <= 1) return { variant: 'simd', reason: `SIMD128 supported; threads off: numThreads = ${numThreads}` };
  if (!threads.ok) return { variant: 'simd', reason: `SIMD128 supported; threads off: ${threads.why}` };
  if (wasmEnv.relaxedSimd !== false && detectRelaxedSimd()) {
    return { variant: 'relaxed-threads', reason: `SIMD128 and relaxed SIMD supported; threads on: ${threads.why}; numThreads = ${numThreads}` };
  }
  return { variant: 'simd-threads', reason: `SIMD128 supported; threads on: ${threads.why}; numThreads = ${numThreads}` };
}

// Feeds for the core: [{name, dtype, dims, data}] from {name: Tensor}.
export function toCoreFeeds(feeds) {
  if (feeds === null || typeof feeds !== 'object' || Array.isArray(feeds)) {
    throw new EdgeinferError('InvalidArgument', 'feeds must be an object {inputName: Tensor}');
  }
  const out = [];
  for (const [name, t] of Object.entries(feeds)) {
    if (t === null || typeof t !== 'object' || typeof t.type !== 'string' || !t.dims || !t.data) {
      throw new EdgeinferError('InvalidArgument', `input '${name}': feed must be a Tensor (type, data, dims)`);
    }
    out.push({ name, dtype: t.type, dims: Array.from(t.dims, Number), data: t.data });
  }
  return out;
}

export const fromCoreOutputs = (list) => {
  const out = {};
  for (const o of list) out[o.name] = new Tensor(o.dtype, o.data, o.dims);
  return out;
};

// A JS exception out of the core is a wasm trap (the core itself reports errors as values): surface it
// as code 'Internal' so callers see one error type.
function guard(fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof EdgeinferError) throw e;
    throw new EdgeinferError('Internal', `the wasm engine trapped: ${e && e.message || e}`, { cause: e });
  }
}

// Runs the core in this realm. Calls are synchronous underneath; the promises keep one interface.
export class LocalBackend {
  constructor(module, variant, reason) {
    this.module = module;
    this.variant = variant;
    const info = typeof module.buildInfo === 'function' ? module.buildInfo() : {};
    this.reason = info.int8Gemm ? `${reason}; int8 GEMM kernels ${info.int8Gemm}` : reason;
    this.sessions = new Map();
    this.nextId = 1;
  }

  // -> {id, inputMetadata, outputMetadata, numThreads}
  createSession(bytes, opts) {
    const r = guard(() => this.module.Session.create(bytes, opts));
    if (isErrorValue(r)) throw fromErrorValue(r);
    const id = this.nextId++;
    this.sessions.set(id, r);
    return {
      id,
      inputMetadata: r.inputMetadata(),
      outputMetadata: r.outputMetadata(),
      numThreads: r.numThreads(),
    };
  }

  // feeds: core form ([{name, dtype, dims, data}]); returns the core's output list.
  run(id, feeds, fetches) {
    const s = this.sessions.get(id);
    if (!s) throw new EdgeinferError('Released', 'the session has been released');
    const r = guard(() => (fetches ? s.run(feeds, fetches) : s.run(feeds)));
    if (isErrorValue(r)) throw fromErrorValue(r);
    return r;
  }

  release(id) {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    s.release();
    s.delete();
  }

  heapStats() {
    const h = this.module.heapStats();
    return { heapBytes: h.heapBytes, mallocBytes: h.mallocBytes, sessions: this.sessions.size };
  }
}

// Talks to proxy-worker.js. Every request has an id; replies resolve or reject its promise.
export class ProxyBackend {
  // port: {post(msg, transfer), onMessage(fn), onError(fn), terminate(), busy?(bool)}
  constructor(port) {
    this.port = port;
    this.pending = new Map();
    this.nextId = 1;
    this.dead = null;
    port.onMessage((msg) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0 && port.busy) port.busy(false);
      if (msg.error) p.reject(deserializeError(msg.error));
      else p.resolve(msg.result);
    });
    port.onError((message) => {
      this.dead = new EdgeinferError('WorkerFailed', `the edgeinfer proxy worker failed: ${message}`);
      for (const p of this.pending.values()) p.reject(this.dead);
      this.pending.clear();
    });
  }

  call(type, args, transfer = []) {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0 && this.port.busy) this.port.busy(true);
      this.pending.set(id, { resolve, reject });
      this.port.post({ id, type, ...args }, transfer);
    });
  }

  async init(wasmEnv, debug) {
    const r = await this.call('init', { wasm: wasmEnv, debug });
    this.variant = r.variant;
    this.reason = r.reason;
    return r;
  }

  // The model bytes are transferred: the caller's buffer (our own download, or a copy) is detached.
  createSession(bytes, opts) {
    return this.call('create', { bytes, opts }, [bytes.buffer]);
  }

  // Inputs are copied into fresh buffers that are transferred (the caller's tensors stay intact);
  // outputs come back transferred, without a copy.
  run(id, feeds, fetches) {
    const transfer = [];
    const sent = feeds.map((f) => {
      // A fresh buffer of exactly the tensor's bytes (Node's Buffer.slice would be a view).
      const Ctor = f.data instanceof Uint8Array ? Uint8Array : f.data.constructor;
      const data = new Ctor(f.data.length);
      data.set(f.data);
      transfer.push(data.buffer);
      return { ...f, data };
    });
    return this.call('run', { session: id, feeds: sent, fetches }, transfer);
  }

  release(id) { return this.call('release', { session: id }); }
  heapStats() { return this.call('heapStats', {}); }
  terminate() { this.port.terminate(); }
}
