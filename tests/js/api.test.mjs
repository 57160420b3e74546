// The edgeinfer package's API under Node (js-bindings/dist/node.mjs; assemble it with
// `node js-bindings/scripts/build.mjs` after tools/build_wasm.sh):  node --test tests/js/
//
// For each wasm variant (EDGEINFER_JS_VARIANTS, default all three) on the calling thread, and for the
// proxy worker (worker_threads): model sources, metadata, dtype round trips, fetches, errors with
// codes (and the session and module usable after them), queued concurrent runs, sessions sharing one
// module, download progress and abort over HTTP, 1000 create/run/release cycles with a flat heap.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DIST, VARIANTS, assertDistBuilt, tinyModel, tinyExpected, identityModel, unsupportedModel, maxViolation, rng,
  ROUND_TRIP_TYPES,
} from './helpers.mjs';

assertDistBuilt();
const ei = await import(pathToFileURL(path.join(DIST, 'node.mjs')).href);
const { InferenceSession, Tensor, env, EdgeinferError, getHeapStats, disposeEngine } = ei;

const TINY = tinyModel();

async function useEngine({ variant, proxy }) {
  await disposeEngine();
  Object.assign(env.wasm, { variant, proxy, numThreads: 2, initTimeout: 60000 });
}

async function rejectsWith(promise, code, pattern) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof EdgeinferError, `expected an EdgeinferError, got ${e && e.stack || e}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

function checkTiny(out, x, label) {
  const exp = tinyExpected(x);
  for (const name of ['y', 'z']) {
    assert.equal(out[name].type, 'float32');
    assert.ok(out[name].data instanceof Float32Array);
    assert.deepEqual(out[name].dims, [x.length / 4, 4]);
    const { worst, at } = maxViolation(out[name].data, exp[name], 1e-5, 1e-5);
    assert.ok(worst <= 0, `${label} ${name}[${at}]: ${out[name].data[at]} vs ${exp[name][at]}`);
  }
}

// A local HTTP server for model downloads: /tiny.onnx (Content-Length), /chunked.onnx (no length),
// /slow.onnx (chunks 50 ms apart), /missing.onnx (404).
let server;
let baseUrl;
before(async () => {
  server = http.createServer(async (req, res) => {
    const body = Buffer.from(TINY);
    if (req.url === '/tiny.onnx') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    } else if (req.url === '/chunked.onnx' || req.url === '/slow.onnx') {
      res.writeHead(200, { 'content-type': 'application/octet-stream',
        ...(req.url === '/slow.onnx' ? { 'content-length': body.length } : {}) });
      for (let i = 0; i < body.length; i += 64) {
        if (res.destroyed) return;
        res.write(body.subarray(i, i + 64));
        await new Promise((r) => setTimeout(r, req.url === '/slow.onnx' ? 50 : 1));
      }
      res.end();
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});
after(async () => {
  await disposeEngine();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('Tensor', () => {
  test('typed arrays, plain arrays, inferred types, size and dims', () => {
    const t = new Tensor('float32', new Float32Array(6), [2, 3]);
    assert.equal(t.type, 'float32');
    assert.equal(t.size, 6);
    assert.deepEqual(t.dims, [2, 3]);
    assert.equal(t.location, 'cpu');
    assert.deepEqual(new Tensor(new Int32Array([1, 2])).dims, [2]);
    assert.equal(new Tensor(new BigInt64Array(3), [3]).type, 'int64');
    assert.equal(new Tensor(new Uint8Array(3)).type, 'uint8');
    assert.equal(new Tensor([1, 2, 3]).type, 'float32');
    assert.equal(new Tensor([true, false]).type, 'bool');
    const b = new Tensor('bool', [true, false, 1], [3]);
    assert.ok(b.data instanceof Uint8Array);
    assert.deepEqual(Array.from(b.data), [1, 0, 1]);
    const i64 = new Tensor('int64', [1, -2, 3n]);
    assert.ok(i64.data instanceof BigInt64Array);
    assert.deepEqual(Array.from(i64.data), [1n, -2n, 3n]);
    assert.deepEqual(new Tensor('int8', [-1, 5]).data, new Int8Array([-1, 5]));
    assert.deepEqual(t.reshape([3, 2]).dims, [3, 2]);
    assert.equal(new Tensor('float32', new Float32Array(1), []).size, 1);
  });
  test('bad arguments throw', () => {
    assert.throws(() => new Tensor('float32', new Int32Array(2), [2]), TypeError);
    assert.throws(() => new Tensor('int64', new Int32Array(2), [2]), TypeError);
    assert.throws(() => new Tensor('float32', new Float32Array(5), [2, 3]), RangeError);
    assert.throws(() => new Tensor('float32', new Float32Array(2), [2, -1]), RangeError);
    assert.throws(() => new Tensor('float32', new Float32Array(2), [1.5]), RangeError);
    assert.throws(() => new Tensor('string', ['a'], [1]), TypeError);
    assert.throws(() => new Tensor({}), TypeError);
  });
});

describe('variant selection', () => {
  test('automatic choice, forced choice, reason and debug log', async () => {
    await disposeEngine();
    Object.assign(env.wasm, { variant: undefined, proxy: false, numThreads: 2, simd: true });
    const logged = [];
    const log = console.log;
    env.debug = true;
    console.log = (...a) => logged.push(a.join(' '));
    let s;
    try {
      s = await InferenceSession.create(TINY);
    } finally {
      console.log = log;
      env.debug = false;
    }
    assert.equal(env.wasm.variant, 'simd-threads');
    assert.match(env.wasm.variantReason, /SIMD128 supported; threads on/);
    assert.equal(s.variant, 'simd-threads');
    assert.ok(logged.some((l) => l.startsWith('[edgeinfer] wasm variant simd-threads')), logged.join('\n'));
    await s.release();

    const cases = [[{ numThreads: 1 }, 'simd', /numThreads = 1/], [{ simd: false }, 'baseline', /SIMD disabled/]];
    for (const [wasm, variant, why] of cases) {
      await disposeEngine();
      Object.assign(env.wasm, { variant: undefined, numThreads: 2, simd: true }, wasm);
      s = await InferenceSession.create(TINY);
      assert.equal(env.wasm.variant, variant);
      assert.match(env.wasm.variantReason, why);
      assert.equal(s.numThreads, 1);
      await s.release();
    }
    await disposeEngine();
    Object.assign(env.wasm, { variant: 'nope', simd: true, numThreads: 2 });
    await rejectsWith(InferenceSession.create(TINY), 'InvalidArgument', /env\.wasm\.variant/);
    env.wasm.variant = undefined;
    assert.equal(ei.selectVariant({ numThreads: 4 }, false).variant, 'simd');  // a browser page without COOP/COEP
  });

  test('env.wasm.wasmPaths: a directory, a file map, a wrong place (LoadFailed, then recovery)', async () => {
    const copy = fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'edgeinfer-paths-'));
    for (const f of ['edgeinfer-simd.js', 'edgeinfer-simd.wasm']) fs.copyFileSync(path.join(DIST, f), path.join(copy, f));
    const x = new Float32Array([1, 2, 3, 4]);
    const cases = [
      copy + '/',
      { 'edgeinfer-simd.js': path.join(copy, 'edgeinfer-simd.js'), 'edgeinfer-simd.wasm': pathToFileURL(path.join(copy, 'edgeinfer-simd.wasm')).href },
    ];
    try {
      for (const wasmPaths of cases) {
        await disposeEngine();
        Object.assign(env.wasm, { variant: 'simd', proxy: false, wasmPaths });
        const s = await InferenceSession.create(TINY);
        checkTiny(await s.run({ x: new Tensor('float32', x, [1, 4]) }), x, JSON.stringify(wasmPaths));
        await s.release();
      }
      await disposeEngine();
      env.wasm.wasmPaths = path.join(copy, 'nowhere') + '/';
      await rejectsWith(InferenceSession.create(TINY), 'LoadFailed', /simd/);
      // Model read and engine start both failing: one rejection, no unhandled one.
      await rejectsWith(InferenceSession.create(path.join(copy, 'missing.onnx')), 'LoadFailed');
      await new Promise((r) => setTimeout(r, 50));
      env.wasm.wasmPaths = undefined;
      const s = await InferenceSession.create(TINY);
      await s.release();
    } finally {
      env.wasm.wasmPaths = undefined;
      env.wasm.variant = undefined;
      await disposeEngine();
      fs.rmSync(copy, { recursive: true });
    }
  });
});

const MODES = [
  ...VARIANTS.map((variant) => ({ variant, proxy: false, label: variant })),
  { variant: VARIANTS[0], proxy: true, label: `${VARIANTS[0]}, proxy worker` },
];

for (const mode of MODES) {
  describe(`${mode.label}`, () => {
    before(() => useEngine(mode));

    test('model sources: path, file URL, Uint8Array, ArrayBuffer, buffer with offset', async () => {
      const file = path.join(fs.mkdtempSync(path.join(process.env.TMPDIR || '/tmp', 'edgeinfer-js-')), 'tiny.onnx');
      fs.writeFileSync(file, TINY);
      const padded = new Uint8Array(TINY.length + 11);
      padded.set(TINY, 7);
      const sources = [
        [file], [pathToFileURL(file)], [TINY], [TINY.slice().buffer], [padded.buffer, 7, TINY.length],
        [padded.subarray(7, 7 + TINY.length)],
      ];
      const x = new Float32Array([0.5, -1, 2, 0.25, -3, 1, 0, 4]);
      for (const args of sources) {
        const s = await InferenceSession.create(...args, { graphOptimizationLevel: 'all' });
        assert.equal(s.variant, mode.variant);
        checkTiny(await s.run({ x: new Tensor('float32', x, [2, 4]) }), x, String(args[0]).slice(0, 30));
        await s.release();
      }
      assert.equal(padded[7], TINY[0], 'the caller\'s model bytes are left intact');
      fs.rmSync(path.dirname(file), { recursive: true });
    });

    test('names and metadata with symbolic dims; options', async () => {
      const s = await InferenceSession.create(TINY, { executionProviders: ['wasm'], graphOptimizationLevel: 'disabled',
        intraOpNumThreads: 2 });
      assert.deepEqual(s.inputNames, ['x']);
      assert.deepEqual(s.outputNames, ['y', 'z']);
      assert.deepEqual(s.inputMetadata, [{ name: 'x', isTensor: true, type: 'float32', shape: ['batch', 4] }]);
      assert.deepEqual(s.outputMetadata.map((m) => [m.name, m.type, m.shape]),
        [['y', 'float32', ['batch', 4]], ['z', 'float32', ['batch', 4]]]);
      assert.equal(s.numThreads, mode.variant === 'simd-threads' ? 2 : 1);
      const x = new Float32Array(12).map((_, i) => i - 6);
      checkTiny(await s.run({ x: new Tensor('float32', x, [3, 4]) }), x, 'unoptimized');
      await s.release();
      const s2 = await InferenceSession.create(TINY, { executionProviders: [{ name: 'cpu' }], logSeverityLevel: 3 });
      await s2.release();
    });

    test('dtype round trips: float32, int32, int64, uint8, int8, bool', async () => {
      const s = await InferenceSession.create(identityModel());
      const values = {
        float32: new Float32Array([1.5, -2, 3.25e-20, Infinity, -0]),
        int32: new Int32Array([1, -2, 2147483647, -2147483648, 0]),
        int64: new BigInt64Array([1n, -2n, 9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n]),
        uint8: new Uint8Array([0, 255, 7, 128, 1]),
        int8: new Int8Array([-128, 127, 0, -1, 5]),
        bool: new Uint8Array([1, 0, 1, 1, 0]),
      };
      const feeds = Object.fromEntries(ROUND_TRIP_TYPES.map((t) => [`t_${t}`, new Tensor(t, values[t], [5])]));
      const out = await s.run(feeds);
      for (const t of ROUND_TRIP_TYPES) {
        const o = out[`o_${t}`];
        assert.equal(o.type, t);
        assert.equal(o.data.constructor, values[t].constructor, t);
        assert.deepEqual(Array.from(o.data), Array.from(values[t]), t);
        assert.deepEqual(o.dims, [5]);
      }
      assert.equal(feeds.t_int64.data.length, 5, 'inputs are not detached');
      // Empty tensors, and booleans given as a plain array.
      const empty = Object.fromEntries(ROUND_TRIP_TYPES.map((t) => [`t_${t}`, new Tensor(t, [], [0])]));
      empty.t_bool = new Tensor('bool', [], [0]);
      const e = await s.run(empty);
      for (const t of ROUND_TRIP_TYPES) assert.deepEqual(e[`o_${t}`].dims, [0]);
      const meta = Object.fromEntries(s.inputMetadata.map((m) => [m.name, m.type]));
      for (const t of ROUND_TRIP_TYPES) assert.equal(meta[`t_${t}`], t);
      await s.release();
    });

    test('fetches select outputs (array or object form)', async () => {
      const s = await InferenceSession.create(TINY);
      const x = new Tensor('float32', new Float32Array(4).fill(1), [1, 4]);
      assert.deepEqual(Object.keys(await s.run({ x }, ['z'])), ['z']);
      assert.deepEqual(Object.keys(await s.run({ x }, { y: null })), ['y']);
      assert.deepEqual(Object.keys(await s.run({ x }, { logSeverityLevel: 2 })).sort(), ['y', 'z']);
      await rejectsWith(s.run({ x }, ['nope']), 'InvalidArgument', /nope/);
      await s.release();
    });

    test('errors carry a stable code and the core\'s message; session and module stay usable', async () => {
      await rejectsWith(InferenceSession.create(new Uint8Array([0x08, 0x07, 0xff, 0xff, 0xff])), 'InvalidModel');
      await rejectsWith(InferenceSession.create(TINY.subarray(0, TINY.length - 7)), 'InvalidModel');
      await rejectsWith(InferenceSession.create(unsupportedModel()), 'Unsupported', /the_odd_node.*NoSuchOp/);
      await rejectsWith(InferenceSession.create(42), 'InvalidArgument');
      await rejectsWith(InferenceSession.create('/no/such/model.onnx'), 'LoadFailed', /no\/such/);
      await rejectsWith(InferenceSession.create(TINY, { graphOptimizationLevel: 'max' }), 'InvalidArgument');
      await rejectsWith(InferenceSession.create(TINY, { executionProviders: ['webgpu'] }), 'Unsupported', /webgpu/);
      await rejectsWith(InferenceSession.create(TINY, { intraOpNumThreads: -1 }), 'InvalidArgument');

      const s = await InferenceSession.create(TINY);
      const x = new Float32Array(8).fill(0.5);
      await rejectsWith(s.run({ x: new Tensor('int32', new Int32Array(8), [2, 4]) }), 'InvalidArgument', /'x'/);
      await rejectsWith(s.run({ x: new Tensor('float32', x, [2, 2, 2]) }), 'InvalidArgument', /'x'/);
      await rejectsWith(s.run({ x: new Tensor('float32', x, [2, 4]), w: new Tensor('float32', x, [8]) }),
        'InvalidArgument', /'w'/);
      await rejectsWith(s.run({}), 'InvalidArgument', /'x'/);
      await rejectsWith(s.run(null), 'InvalidArgument');
      await rejectsWith(s.run({ x: { type: 'float32', dims: [1] } }), 'InvalidArgument', /'x'/);
      checkTiny(await s.run({ x: new Tensor('float32', x, [2, 4]) }), x, 'after errors');
      const other = await InferenceSession.create(TINY);
      checkTiny(await other.run({ x: new Tensor('float32', x, [2, 4]) }), x, 'new session after errors');
      await other.release();
      await s.release();
      await s.release();  // idempotent
      await rejectsWith(s.run({ x: new Tensor('float32', x, [2, 4]) }), 'Released');
    });

    test('concurrent run() calls on one session are queued and each gets its own result', async () => {
      const s = await InferenceSession.create(TINY);
      const random = rng(3);
      const inputs = Array.from({ length: 24 }, (_, i) => new Float32Array(4 * (1 + (i % 5))).map(() => random() * 6 - 3));
      const outs = await Promise.all(inputs.map((x) => s.run({ x: new Tensor('float32', x, [x.length / 4, 4]) })));
      outs.forEach((o, i) => checkTiny(o, inputs[i], `run ${i}`));
      // A failing run in the middle of the queue does not disturb the others.
      const mixed = await Promise.allSettled([
        s.run({ x: new Tensor('float32', inputs[0], [inputs[0].length / 4, 4]) }),
        s.run({ x: new Tensor('float32', new Float32Array(3), [3]) }),
        s.run({ x: new Tensor('float32', inputs[1], [inputs[1].length / 4, 4]) }),
      ]);
      assert.deepEqual(mixed.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      checkTiny(mixed[2].value, inputs[1], 'after a failed queued run');
      // release() waits for queued runs.
      const pending = s.run({ x: new Tensor('float32', inputs[2], [inputs[2].length / 4, 4]) });
      const released = s.release();
      checkTiny(await pending, inputs[2], 'run queued before release');
      await released;
    });

    test('several sessions share one module instance', async () => {
      const before = await getHeapStats();
      const a = await InferenceSession.create(TINY);
      const b = await InferenceSession.create(identityModel());
      const c = await InferenceSession.create(TINY);
      assert.equal((await getHeapStats()).sessions, before.sessions + 3);
      const x = new Float32Array([1, 2, 3, 4]);
      const [ra, rc] = await Promise.all([a.run({ x: new Tensor('float32', x, [1, 4]) }), c.run({ x: new Tensor('float32', x, [1, 4]) })]);
      assert.deepEqual(ra.y.data, rc.y.data);
      await Promise.all([a.release(), b.release(), c.release()]);
      assert.equal((await getHeapStats()).sessions, before.sessions);
    });

    test('create from an http URL with download progress; abort', async () => {
      for (const name of ['tiny.onnx', 'chunked.onnx']) {
        const calls = [];
        const s = await InferenceSession.create(`${baseUrl}/${name}`, { onProgress: (l, t) => calls.push([l, t]) });
        assert.ok(calls.length >= 1);
        const last = calls[calls.length - 1];
        assert.deepEqual(last, [TINY.length, TINY.length], `${name}: last progress call`);
        for (let i = 1; i < calls.length; ++i) assert.ok(calls[i][0] >= calls[i - 1][0]);
        if (name === 'tiny.onnx') assert.ok(calls.every(([, t]) => t === TINY.length));
        else assert.ok(calls.slice(0, -1).every(([, t]) => t === 0), 'unknown total is 0');
        await s.release();
      }
      await rejectsWith(InferenceSession.create(`${baseUrl}/missing.onnx`), 'LoadFailed', /404/);

      const ctl = new AbortController();
      const seen = [];
      const p = InferenceSession.create(`${baseUrl}/slow.onnx`, {
        signal: ctl.signal,
        onProgress: (l) => { seen.push(l); if (seen.length === 2) ctl.abort(); },
      });
      await assert.rejects(p, (e) => e instanceof EdgeinferError && e.code === 'Aborted' && e.name === 'AbortError');
      assert.ok(seen[seen.length - 1] < TINY.length, 'aborted before the download finished');

      const done = new AbortController();
      done.abort();
      await rejectsWith(InferenceSession.create(TINY, { signal: done.signal }), 'Aborted');
      const stats = await getHeapStats();
      assert.equal(stats.sessions, 0, 'no session left behind by aborts and failures');
    });

    test('1000 create/run/release cycles leave the wasm heap unchanged', async () => {
      const x = new Tensor('float32', new Float32Array(64 * 4).fill(0.5), [64, 4]);
      const cycle = async () => {
        const s = await InferenceSession.create(TINY);
        const r = await s.run({ x });
        assert.equal(r.y.size, 256);
        await s.release();
      };
      for (let i = 0; i < 20; ++i) await cycle();
      const h0 = await getHeapStats();
      for (let i = 0; i < 1000; ++i) await cycle();
      const h1 = await getHeapStats();
      assert.equal(h1.heapBytes, h0.heapBytes, 'wasm memory grew');
      assert.equal(h1.sessions, h0.sessions);
      assert.ok(h1.mallocBytes - h0.mallocBytes < 4096, `malloc'd bytes grew by ${h1.mallocBytes - h0.mallocBytes}`);
    });
  });
}
