// The in-page half of the benchmark (see bench.mjs for the driver). Exposes on window:
//
//   benchRun(cfg)    one (model, runtime, threads) measurement in this (fresh) page:
//                    start-up (load + instantiate the wasm module), session creation, first inference,
//                    warm-up by time, then timed runs; wasm memory after the runs; the outputs of the first
//                    inference checked against the golden outputs (onnxruntime-node reference).
//   benchVerify(cfg) loads both runtimes in one page, runs the model once on each and reports the max
//                    abs difference between their outputs (and each against the golden outputs).
//
// cfg: {runtime: 'edgeinfer' | 'ort', variant: 'simd-threads', threads, runs, warmupSeconds, minSeconds,
//       maxRuns, model: {name, url, inputs: {name: url}, outputs: {name: url}, tolerance: {atol, rtol}}}
// Results are plain JSON. Failures come back as {error: {stage, message}}, never as a hang: every
// stage that could hang (module creation, memory measurement) has a timeout.

const EDGEINFER_DIST = '/build/wasm-dist/';
const ORT_DIST = '/node_modules/onnxruntime-web/dist/';

const log = (msg) => {
  const el = document.getElementById('log');
  if (el) el.textContent += msg + '\n';
  console.log(`[bench] ${msg}`);
};

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// A macrotask boundary between runs (outside the timed region), so the event loop is not starved.
function yieldToEventLoop() {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => resolve();
    ch.port2.postMessage(0);
  });
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`GET ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

// ---------------------------------------------------------------------------------------------
// .npy reader (format versions 1.0, 2.0, 3.0; C order; little- or big-endian numeric dtypes).

const NPY_TYPES = {
  f4: ['float32', Float32Array], f8: ['float64', Float64Array], f2: ['float16', Uint16Array],
  i1: ['int8', Int8Array], i2: ['int16', Int16Array], i4: ['int32', Int32Array], i8: ['int64', BigInt64Array],
  u1: ['uint8', Uint8Array], u2: ['uint16', Uint16Array], u4: ['uint32', Uint32Array], u8: ['uint64', BigUint64Array],
  b1: ['bool', Uint8Array],
};

export function parseNpy(bytes, source = 'npy') {
  const fail = (m) => { throw new Error(`${source}: ${m}`); };
  if (bytes.length < 10) fail('too short for a .npy header');
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];  // \x93NUMPY
  for (let i = 0; i < 6; ++i) if (bytes[i] !== magic[i]) fail('not a .npy file (bad magic)');
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen, headerStart;
  if (major === 1) { headerLen = dv.getUint16(8, true); headerStart = 10; }
  else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated header length');
    headerLen = dv.getUint32(8, true); headerStart = 12;
  } else fail(`unsupported format version ${major}`);
  if (headerStart + headerLen > bytes.length) fail('header runs past the end of the file');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) fail(`malformed header: ${header}`);
  if (fortran[1] === 'True') fail('fortran_order=True is not supported');
  const m = /^([<>|=])([a-z]\d+)$/.exec(descr[1]);
  if (!m || !NPY_TYPES[m[2]]) fail(`unsupported dtype '${descr[1]}'`);
  const [dtype, Ctor] = NPY_TYPES[m[2]];
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length).map((s) => {
    const n = Number(s.replace(/L$/, ''));
    if (!Number.isInteger(n) || n < 0) fail(`bad dimension '${s}'`);
    return n;
  });
  const count = dims.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  const need = count * Ctor.BYTES_PER_ELEMENT;
  if (bytes.length - dataStart < need) fail(`data truncated: need ${need} bytes, have ${bytes.length - dataStart}`);
  // Copy so the typed array is aligned and owns its buffer.
  const raw = bytes.slice(dataStart, dataStart + need);
  if (m[1] === '>' && Ctor.BYTES_PER_ELEMENT > 1) {
    const w = Ctor.BYTES_PER_ELEMENT;
    for (let i = 0; i < raw.length; i += w) raw.subarray(i, i + w).reverse();
  }
  return { dtype, dims, data: new Ctor(raw.buffer) };
}

// ---------------------------------------------------------------------------------------------
// A one-node ONNX model (Relu on float[1]), used to bring up onnxruntime-web's wasm runtime on its own:
// onnxruntime-web initialises its backend inside the first InferenceSession.create.

function tinyOnnxModel() {
  const out = [];
  const varint = (arr, v) => { do { let b = v & 0x7f; v >>>= 7; if (v) b |= 0x80; arr.push(b); } while (v); };
  const field = (num, wire) => { const a = []; varint(a, (num << 3) | wire); return a; };
  const len = (num, payload) => { const a = field(num, 2); varint(a, payload.length); return a.concat(payload); };
  const int = (num, v) => { const a = field(num, 0); varint(a, v); return a; };
  const str = (num, s) => len(num, Array.from(new TextEncoder().encode(s)));
  const valueInfo = (name) => {
    const dim = len(1, int(1, 1));                 // TensorShapeProto.dim { dim_value: 1 }
    const tensorType = int(1, 1).concat(len(2, dim)); // elem_type FLOAT, shape
    return str(1, name).concat(len(2, len(1, tensorType)));
  };
  const node = str(1, 'x').concat(str(2, 'y'), str(3, 'relu'), str(4, 'Relu'));
  const graph = len(1, node).concat(str(2, 'tiny'), len(11, valueInfo('x')), len(12, valueInfo('y')));
  out.push(...int(1, 8), ...len(7, graph), ...len(8, str(1, '').concat(int(2, 13))));
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// Runtimes behind one small interface:
//   load() -> startupMs;  create(bytes) -> createMs;  run(feeds) -> {name: {dims, data}};  info()

function makeEdgeinfer(cfg) {
  let mod = null;
  let session = null;
  let feedsCache = null;
  return {
    name: 'edgeinfer',
    async load() {
      const variant = cfg.variant || 'simd-threads';
      const t0 = performance.now();
      await new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = `${EDGEINFER_DIST}${variant}/edgeinfer.js`;
        s.onload = resolve;
        s.onerror = () => reject(new Error(`failed to load ${s.src}`));
        document.head.appendChild(s);
      });
      if (typeof window.createEdgeinfer !== 'function') throw new Error('edgeinfer.js did not define createEdgeinfer');
      // The main thread takes part in the work: a session of N threads needs N-1 pool workers. At least
      // one: with pthreadPoolSize 0 the factory never resolves (seen with this build, in Node too).
      mod = await withTimeout(window.createEdgeinfer({ pthreadPoolSize: Math.max(1, cfg.threads - 1) }), 60000,
        'createEdgeinfer()');
      return performance.now() - t0;
    },
    async create(bytes) {
      const t0 = performance.now();
      const r = mod.Session.create(bytes, { threads: cfg.threads, optimize: true });
      const ms = performance.now() - t0;
      if (r && r.code !== undefined) throw new Error(`Session.create: ${r.code}: ${r.message}`);
      session = r;
      return ms;
    },
    makeFeeds(inputs) {
      feedsCache = {};
      for (const [name, t] of Object.entries(inputs)) feedsCache[name] = { dtype: t.dtype, dims: t.dims, data: t.data };
      return feedsCache;
    },
    async run(feeds) {
      const r = session.run(feeds);
      if (!Array.isArray(r)) throw new Error(`run: ${r && r.code}: ${r && r.message}`);
      const out = {};
      for (const o of r) out[o.name] = { dims: Array.from(o.dims), data: o.data };
      return out;
    },
    info() {
      const i = { build: mod.buildInfo(), numThreads: session ? session.numThreads() : null };
      if (session) i.sessionMemory = session.memory();
      if (mod.wasmMemory) i.moduleMemoryBytes = mod.wasmMemory.buffer.byteLength;
      return i;
    },
    release() {
      if (session) { session.release(); session.delete(); session = null; }
    },
  };
}

function makeOrt(cfg) {
  let ort = null;
  let session = null;
  return {
    name: 'ort',
    async load() {
      const t0 = performance.now();
      ort = await import(`${ORT_DIST}ort.wasm.min.mjs`);
      ort.env.wasm.wasmPaths = new URL(ORT_DIST, location.href).href;
      ort.env.wasm.numThreads = cfg.threads;
      ort.env.wasm.proxy = false;
      ort.env.logLevel = 'warning';
      const tiny = await withTimeout(ort.InferenceSession.create(tinyOnnxModel(), { executionProviders: ['wasm'] }),
        60000, 'onnxruntime-web initialisation');
      const ms = performance.now() - t0;
      await tiny.release();
      return ms;
    },
    async create(bytes) {
      const t0 = performance.now();
      session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
      return performance.now() - t0;
    },
    makeFeeds(inputs) {
      const feeds = {};
      for (const [name, t] of Object.entries(inputs)) feeds[name] = new ort.Tensor(t.dtype, t.data, t.dims);
      return feeds;
    },
    async run(feeds) {
      const r = await session.run(feeds);
      const out = {};
      for (const [name, t] of Object.entries(r)) out[name] = { dims: Array.from(t.dims), data: t.data };
      return out;
    },
    info() {
      return { version: ort.env.versions && ort.env.versions.web, numThreads: ort.env.wasm.numThreads };
    },
    async release() {
      if (session) { await session.release(); session = null; }
    },
  };
}

function makeRuntime(cfg) {
  if (cfg.runtime === 'edgeinfer') return makeEdgeinfer(cfg);
  if (cfg.runtime === 'ort') return makeOrt(cfg);
  throw new Error(`unknown runtime '${cfg.runtime}'`);
}

// ---------------------------------------------------------------------------------------------
// Inputs, outputs and comparisons.

async function loadModel(model) {
  const bytes = await fetchBytes(model.url);
  const inputs = {};
  for (const [name, url] of Object.entries(model.inputs)) inputs[name] = parseNpy(await fetchBytes(url), url);
  const expected = {};
  for (const [name, url] of Object.entries(model.outputs || {})) expected[name] = parseNpy(await fetchBytes(url), url);
  return { bytes, inputs, expected };
}

const toNumber = (v) => (typeof v === 'bigint' ? Number(v) : v);

// max |a-b|, and whether every element meets |a-b| <= atol + rtol*|b| (b the reference).
function compare(a, b, tol) {
  const res = { maxAbsDiff: 0, withinTolerance: true, shapeMatch: true, count: 0 };
  if (!a || !b) return { ...res, missing: true, withinTolerance: false };
  if (a.dims.length !== b.dims.length || a.dims.some((d, i) => d !== b.dims[i])) {
    res.shapeMatch = false;
    res.withinTolerance = false;
    res.dims = [a.dims, b.dims];
  }
  const n = Math.min(a.data.length, b.data.length);
  if (a.data.length !== b.data.length) res.withinTolerance = false;
  const atol = tol ? tol.atol : 1e-4;
  const rtol = tol ? tol.rtol : 1e-3;
  let nan = 0;
  for (let i = 0; i < n; ++i) {
    const x = toNumber(a.data[i]);
    const y = toNumber(b.data[i]);
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) { nan++; res.withinTolerance = false; }
      continue;
    }
    const d = Math.abs(x - y);
    if (d > res.maxAbsDiff) res.maxAbsDiff = d;
    if (d > atol + rtol * Math.abs(y)) res.withinTolerance = false;
  }
  res.count = n;
  if (nan) res.nanMismatches = nan;
  return res;
}

function compareAll(got, expected, tol) {
  const per = {};
  let maxAbsDiff = 0;
  let ok = true;
  for (const name of Object.keys(expected)) {
    const c = compare(got[name], expected[name], tol);
    per[name] = c;
    maxAbsDiff = Math.max(maxAbsDiff, c.maxAbsDiff);
    ok = ok && c.withinTolerance;
  }
  return { maxAbsDiff, withinTolerance: ok, outputs: per };
}

function percentile(sorted, q) {
  if (!sorted.length) return null;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[k];
}

async function wasmMemory(timeoutMs = 5000) {
  const mems = window.__benchWasmMemories || [];
  if (mems.length) {
    const sizes = mems.map((m) => m.buffer.byteLength);
    return { bytes: sizes.reduce((a, b) => a + b, 0), source: 'WebAssembly.Memory', memories: sizes };
  }
  if (typeof performance.measureUserAgentSpecificMemory === 'function') {
    try {
      const r = await withTimeout(performance.measureUserAgentSpecificMemory(), timeoutMs, 'measureUserAgentSpecificMemory');
      return { bytes: r.bytes, source: 'measureUserAgentSpecificMemory' };
    } catch (e) {
      return { bytes: null, source: 'n/a', note: String(e && e.message || e) };
    }
  }
  return { bytes: null, source: 'n/a' };
}

const errorText = (e) => (e && e.message ? e.message : String(e));

// ---------------------------------------------------------------------------------------------

async function benchRun(cfg) {
  const result = { runtime: cfg.runtime, model: cfg.model.name, threads: cfg.threads, crossOriginIsolated };
  let stage = 'setup';
  let rt = null;
  try {
    if (!crossOriginIsolated) throw new Error('page is not cross-origin isolated (COOP/COEP headers missing)');
    const { bytes, inputs, expected } = await loadModel(cfg.model);
    rt = makeRuntime(cfg);

    stage = 'start-up';
    result.startupMs = await rt.load();
    log(`${cfg.runtime}: start-up ${result.startupMs.toFixed(1)} ms`);

    stage = 'session creation';
    result.createMs = await rt.create(bytes.slice());
    log(`${cfg.runtime}: create ${result.createMs.toFixed(1)} ms`);
    const feeds = rt.makeFeeds(inputs);

    stage = 'first inference';
    let t0 = performance.now();
    const first = await rt.run(feeds);
    result.firstMs = performance.now() - t0;
    result.check = compareAll(first, expected, cfg.model.tolerance);
    result.outputDims = Object.fromEntries(Object.entries(first).map(([k, v]) => [k, v.dims]));
    log(`${cfg.runtime}: first ${result.firstMs.toFixed(1)} ms, max|diff| vs golden ${result.check.maxAbsDiff}`);

    stage = 'warm-up';
    const warmEnd = performance.now() + cfg.warmupSeconds * 1000;
    let warmupRuns = 0;
    do {
      await yieldToEventLoop();
      await rt.run(feeds);
      warmupRuns++;
    } while (performance.now() < warmEnd);
    result.warmupRuns = warmupRuns;

    stage = 'timed runs';
    const times = [];
    const minEnd = performance.now() + (cfg.minSeconds || 0) * 1000;
    const maxRuns = Math.max(cfg.runs, cfg.maxRuns || cfg.runs);
    while (times.length < cfg.runs || (performance.now() < minEnd && times.length < maxRuns)) {
      await yieldToEventLoop();
      t0 = performance.now();
      await rt.run(feeds);
      times.push(performance.now() - t0);
    }
    const sorted = times.slice().sort((a, b) => a - b);
    result.runs = times.length;
    result.p50Ms = percentile(sorted, 0.5);
    result.p95Ms = percentile(sorted, 0.95);
    result.minMs = sorted[0];
    result.maxMs = sorted[sorted.length - 1];
    result.meanMs = times.reduce((a, b) => a + b, 0) / times.length;
    result.timesMs = times.map((t) => Math.round(t * 1000) / 1000);
    log(`${cfg.runtime}: p50 ${result.p50Ms.toFixed(2)} ms, p95 ${result.p95Ms.toFixed(2)} ms over ${times.length} runs`);

    stage = 'memory';
    result.memory = await wasmMemory();
    result.info = rt.info();
    result.workersStarted = (window.__benchWorkers || []).slice();
  } catch (e) {
    result.error = { stage, message: errorText(e) };
    log(`${cfg.runtime}: ERROR in ${stage}: ${result.error.message}`);
    try { result.memory = await wasmMemory(); } catch {}
  }
  try { if (rt) await rt.release(); } catch {}
  return result;
}

async function benchVerify(cfg) {
  const result = { model: cfg.model.name, threads: cfg.threads };
  const { bytes, inputs, expected } = await loadModel(cfg.model);
  const outs = {};
  for (const runtime of ['edgeinfer', 'ort']) {
    let stage = 'start-up';
    const rt = makeRuntime({ ...cfg, runtime });
    try {
      await rt.load();
      stage = 'session creation';
      await rt.create(bytes.slice());
      stage = 'inference';
      outs[runtime] = await rt.run(rt.makeFeeds(inputs));
      result[`${runtime}VsGolden`] = compareAll(outs[runtime], expected, cfg.model.tolerance);
    } catch (e) {
      result[`${runtime}Error`] = { stage, message: errorText(e) };
    }
    try { await rt.release(); } catch {}
  }
  if (outs.edgeinfer && outs.ort) {
    // ours against theirs, with theirs as the reference for the relative term.
    result.oursVsOrt = compareAll(outs.edgeinfer, outs.ort, cfg.model.tolerance);
    const names = Object.keys(outs.ort);
    result.outputsCompared = names;
  }
  return result;
}

window.benchRun = benchRun;
window.benchVerify = benchVerify;
window.benchReady = true;
