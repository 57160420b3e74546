// Browser tests of the package, shared by browser-chromium.test.mjs and browser-firefox.test.mjs.
// A Node http server on 127.0.0.1 serves js-bindings/dist/ at /pkg/ and models/cache/ at /models/,
// with or without COOP/COEP (cross-origin isolation), on a fresh port per test (a fresh origin). A page
// imports the package as an ES module (through an import map); on the main thread and with env.wasm.proxy = true, isolated
// (the simd-threads variant) and not (simd), it downloads the openWakeWord embedding model with
// progress, runs the golden input and compares with the onnxruntime-node golden output, round-trips
// every dtype, and checks an error code. With the proxy, a main-thread timer must keep firing during
// a long PP-OCRv4 det inference. 300 create/run/release cycles in a page leave the wasm heap flat.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { DIST, MODELS, assertDistBuilt, identityModel, tinyModel, int8MatMulModel, ROUND_TRIP_TYPES } from './helpers.mjs';
import { readNpy } from '../../tools/npy.mjs';
import { createServer as createExampleServer } from '../../js-bindings/example/serve.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript',
  '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.json': 'application/json',
};

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head><body>
<script type="importmap">{ "imports": { "edgeinfer": "/pkg/index.mjs" } }</script>
<script type="module">
  import * as ei from 'edgeinfer';
  window.ei = ei;
  window.eiReady = true;
</script></body></html>`;

// Serves the package and models; isolated: COOP/COEP/CORP on every response (workers included).
export async function startServer({ isolated }) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const headers = { 'cache-control': 'no-store' };
    if (isolated) {
      Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'same-origin' });
    }
    let file = null;
    if (url.pathname === '/' || url.pathname === '/index.html') {
      res.writeHead(200, { ...headers, 'content-type': TYPES['.html'] });
      res.end(PAGE);
      return;
    }
    if (url.pathname.startsWith('/pkg/')) file = path.join(DIST, url.pathname.slice(5));
    else if (url.pathname.startsWith('/models/')) file = path.join(MODELS, url.pathname.slice(8));
    if (!file || file.includes('..') || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, headers);
      res.end('not found');
      return;
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] || 'application/octet-stream',
      'content-length': body.length });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

async function stopServer(s) {
  s.server.closeAllConnections();
  await new Promise((r) => s.server.close(r));
}

// Runs in the page.
export async function pageScenario({ proxy, input, inputDims, expected, identity, types }) {
  const ei = window.ei;
  Object.assign(ei.env.wasm, { proxy, numThreads: 2, initTimeout: 60000 });
  const progress = [];
  const s = await ei.InferenceSession.create('/models/embedding_model.onnx', { onProgress: (l, t) => progress.push([l, t]) });
  const x = new ei.Tensor('float32', Float32Array.from(input), inputDims);
  const t0 = performance.now();
  const out = await s.run({ [s.inputNames[0]]: x });
  const ms = performance.now() - t0;
  const y = out[s.outputNames[0]];
  let worst = 0;
  for (let i = 0; i < expected.length; ++i) worst = Math.max(worst, Math.abs(y.data[i] - expected[i]));

  // Every dtype through Identity.
  const id = await ei.InferenceSession.create(Uint8Array.from(identity));
  const values = {
    float32: new Float32Array([1.5, -2, 3]), int32: new Int32Array([1, -2, 2147483647]),
    int64: new BigInt64Array([1n, -2n, 9007199254740993n]), uint8: new Uint8Array([0, 255, 7]),
    int8: new Int8Array([-128, 127, 0]), bool: new Uint8Array([1, 0, 1]),
  };
  const feeds = Object.fromEntries(types.map((t) => [`t_${t}`, new ei.Tensor(t, values[t], [3])]));
  const rt = await id.run(feeds);
  const roundTrip = types.every((t) => rt[`o_${t}`].type === t && rt[`o_${t}`].data.constructor === values[t].constructor &&
    rt[`o_${t}`].data.join() === values[t].join());

  let code = null;
  let message = '';
  try {
    await id.run({ t_float32: feeds.t_float32 });
  } catch (e) {
    code = e.code;
    message = e.message;
  }
  const stillWorks = (await id.run(feeds)).o_int64.data[2] === 9007199254740993n;
  await id.release();
  await s.release();
  return {
    variant: ei.env.wasm.variant, reason: ei.env.wasm.variantReason, isolated: window.crossOriginIsolated === true,
    numThreads: s.numThreads, worst, dims: y.dims, ms, lastProgress: progress[progress.length - 1], progressCalls: progress.length,
    inputIntact: x.data.length === input.length, roundTrip, code, message, stillWorks,
  };
}

// Runs in the page: a long inference in the proxy worker while a 10 ms timer ticks on the main thread.
export async function pageTimer({ side }) {
  const ei = window.ei;
  Object.assign(ei.env.wasm, { proxy: true, numThreads: 2, initTimeout: 60000 });
  const s = await ei.InferenceSession.create('/models/ppocr_det.onnx');
  const x = new ei.Tensor('float32', new Float32Array(3 * side * side).fill(0.5), [1, 3, side, side]);
  let ticks = 0;
  let last = performance.now();
  let maxGap = 0;
  const iv = setInterval(() => {
    const n = performance.now();
    maxGap = Math.max(maxGap, n - last);
    last = n;
    ticks++;
  }, 10);
  const t0 = performance.now();
  const out = await s.run({ [s.inputNames[0]]: x });
  const ms = performance.now() - t0;
  clearInterval(iv);
  const dims = out[s.outputNames[0]].dims;
  await s.release();
  return { ticks, maxGap, ms, dims, variant: ei.env.wasm.variant };
}

export function defineBrowserTests(name, launch) {
  describe(name, { timeout: 600000 }, () => {
    let browser;
    const golden = path.join(MODELS, 'golden', 'embedding_model');
    const inp = readNpy(path.join(golden, 'inputs', 'input_1.npy'));
    const exp = readNpy(path.join(golden, 'outputs', 'conv2d_19.npy'));
    const modelSize = fs.statSync(path.join(MODELS, 'embedding_model.onnx')).size;

    before(async () => {
      assertDistBuilt();
      browser = await launch();
    });
    after(async () => { if (browser) await browser.close(); });

    async function withPage(isolated, fn) {
      const srv = await startServer({ isolated });
      const page = await browser.newPage();
      const logs = [];
      page.on('pageerror', (e) => logs.push(`pageerror: ${e}`));
      page.on('console', (m) => logs.push(`console: ${m.text()}`));
      try {
        await page.goto(srv.url, { waitUntil: 'load' });
        await page.waitForFunction('window.eiReady === true', { timeout: 30000 });
        await page.evaluate(() => { window.ei.env.debug = true; });
        return await fn(page);
      } catch (e) {
        // The page's (and its workers') console says how far start-up got.
        e.message += `\n--- page log (${isolated ? 'isolated' : 'not isolated'}):\n${logs.join('\n')}`;
        throw e;
      } finally {
        await page.close();
        await stopServer(srv);
      }
    }

    for (const isolated of [false, true]) {
      for (const proxy of [false, true]) {
        const label = `${isolated ? 'cross-origin isolated' : 'not isolated'}, ${proxy ? 'proxy worker' : 'main thread'}`;
        test(label, async (t) => {
          const r = await withPage(isolated, (page) => page.evaluate(pageScenario, {
            proxy, input: Array.from(inp.data), inputDims: inp.dims, expected: Array.from(exp.data),
            identity: Array.from(identityModel()), types: ROUND_TRIP_TYPES,
          }));
          assert.equal(r.isolated, isolated);
          assert.equal(r.variant, isolated ? 'relaxed-threads' : 'simd', r.reason);  // both browsers here have relaxed SIMD
          assert.match(r.reason, isolated ? /threads on/ : /not cross-origin isolated/);
          assert.equal(r.numThreads, isolated ? 2 : 1);
          assert.deepEqual(r.dims, exp.dims);
          assert.ok(r.worst < 1e-3, `max abs diff ${r.worst} vs onnxruntime-node`);
          assert.deepEqual(r.lastProgress, [modelSize, modelSize]);
          assert.ok(r.inputIntact, 'input tensor intact after the run');
          assert.ok(r.roundTrip, 'dtype round trip');
          assert.equal(r.code, 'InvalidArgument', r.message);
          assert.match(r.message, /t_int32|t_int64|t_uint8|t_int8|t_bool/);
          assert.ok(r.stillWorks);
          t.diagnostic(`${name} ${label}: ${r.variant}, embedding run ${r.ms.toFixed(1)} ms`);
        });
      }
    }

    for (const isolated of [false, true]) {
      test(`proxy worker: a main-thread timer keeps firing during a long inference (${isolated ? 'threads' : 'no threads'})`, async (t) => {
        const r = await withPage(isolated, (page) => page.evaluate(pageTimer, { side: 480 }));
        t.diagnostic(`${name}: ${r.variant} PP-OCRv4 det 480x480 in the proxy worker ${r.ms.toFixed(0)} ms, ` +
          `${r.ticks} timer ticks, largest gap ${r.maxGap.toFixed(1)} ms`);
        assert.deepEqual(r.dims.slice(0, 2), [1, 1]);
        // The timer is not starved: many ticks, and no gap near the inference's length.
        assert.ok(r.ticks >= Math.min(10, r.ms / 40), `only ${r.ticks} ticks in ${r.ms.toFixed(0)} ms`);
        assert.ok(r.maxGap < Math.max(100, r.ms / 2), `timer gap ${r.maxGap.toFixed(0)} ms during a ${r.ms.toFixed(0)} ms run`);
      });
    }

    test('300 create/run/release cycles keep the wasm heap flat (main thread and proxy, threads)', async () => {
      const r = await withPage(true, (page) => page.evaluate(async (model) => {
        const ei = window.ei;
        const bytes = Uint8Array.from(model);
        const x = new ei.Tensor('float32', new Float32Array(64 * 4).fill(0.5), [64, 4]);
        const result = [];
        for (const proxy of [false, true]) {
          await ei.disposeEngine();
          Object.assign(ei.env.wasm, { proxy, numThreads: 2, initTimeout: 60000 });
          const cycle = async () => {
            const s = await ei.InferenceSession.create(bytes);
            await s.run({ x });
            await s.release();
          };
          for (let i = 0; i < 20; ++i) await cycle();
          const h0 = await ei.getHeapStats();
          for (let i = 0; i < 300; ++i) await cycle();
          const h1 = await ei.getHeapStats();
          result.push({ proxy, variant: ei.env.wasm.variant, h0, h1 });
        }
        return result;
      }, Array.from(tinyModel())));
      for (const { proxy, variant, h0, h1 } of r) {
        assert.equal(variant, 'relaxed-threads');
        assert.equal(h1.heapBytes, h0.heapBytes, `proxy ${proxy}: wasm memory grew`);
        assert.equal(h1.sessions, 0);
        assert.ok(h1.mallocBytes - h0.mallocBytes < 4096, `proxy ${proxy}: malloc'd bytes grew by ${h1.mallocBytes - h0.mallocBytes}`);
      }
    });

    // The relaxed-threads variant runs int8 matrix products on the relaxed-dot kernels where the engine's
    // dot is exact (its start-up check; Chromium on x86 with AVX-VNNI) and on the SIMD128 kernels
    // elsewhere (Firefox saturates): either way its outputs must equal simd-threads' bit for bit.
    test('int8 matrix products: relaxed-threads equals simd-threads exactly', async (t) => {
      const { model, feeds } = int8MatMulModel();
      const r = await withPage(true, (page) => page.evaluate(async (model, feeds) => {
        const ei = window.ei;
        const out = {};
        for (const variant of ['simd-threads', 'relaxed-threads']) {
          await ei.disposeEngine();
          Object.assign(ei.env.wasm, { variant, proxy: false, numThreads: 2, initTimeout: 60000 });
          const s = await ei.InferenceSession.create(Uint8Array.from(model));
          const f = {};
          for (const [k, v] of Object.entries(feeds)) f[k] = new ei.Tensor('uint8', Uint8Array.from(v.data), v.dims);
          const y = await s.run(f);
          out[variant] = { reason: ei.env.wasm.variantReason,
            outputs: Object.fromEntries(Object.entries(y).map(([k, v]) => [k, { dims: v.dims, data: Array.from(v.data) }])) };
          await s.release();
        }
        await ei.disposeEngine();
        ei.env.wasm.variant = undefined;
        return out;
      }, Array.from(model), feeds));
      t.diagnostic(`${name} relaxed-threads: ${r['relaxed-threads'].reason}`);
      assert.match(r['relaxed-threads'].reason, /int8 GEMM kernels (4x8c4__relaxedsimd|4x8c2__simd128)/);
      assert.match(r['simd-threads'].reason, /int8 GEMM kernels 4x8c2__simd128/);
      assert.deepEqual(Object.keys(r['relaxed-threads'].outputs).sort(), ['y_const', 'y_dyn', 'y_wide']);
      assert.deepEqual(r['relaxed-threads'].outputs, r['simd-threads'].outputs);
    });

    test('wasm files not found: LoadFailed (main thread) / WorkerFailed (proxy), then a retry works', async () => {
      const r = await withPage(false, (page) => page.evaluate(async () => {
        const ei = window.ei;
        const codes = [];
        for (const proxy of [false, true]) {
          Object.assign(ei.env.wasm, { proxy, wasmPaths: '/nowhere/', initTimeout: 30000 });
          try {
            await ei.InferenceSession.create('/models/hey_jarvis_v0.1.onnx');
            codes.push('created');
          } catch (e) {
            codes.push(e.code);
          }
        }
        ei.env.wasm.wasmPaths = undefined;
        const s = await ei.InferenceSession.create('/models/hey_jarvis_v0.1.onnx');
        const out = await s.run({ 'x.1': new ei.Tensor('float32', new Float32Array(16 * 96), [1, 16, 96]) });
        await s.release();
        return { codes, dims: out[s.outputNames[0]].dims };
      }));
      assert.deepEqual(r.codes, ['LoadFailed', 'WorkerFailed']);
      assert.deepEqual(r.dims, [1, 1]);
    });

    for (const query of ['?threads=2', '?proxy=1&threads=2']) {
      test(`example page (js-bindings/example) runs PP-OCRv4 det on drawn text (${query})`, async (t) => {
        const srv = createExampleServer({ isolated: true, models: MODELS });
        await new Promise((r) => srv.listen(0, '127.0.0.1', r));
        const page = await browser.newPage();
        try {
          await page.goto(`http://127.0.0.1:${srv.address().port}/${query}`);
          await page.waitForFunction('["done", "error"].includes(document.getElementById("status").dataset.state)',
            { timeout: 180000 });
          assert.equal(await page.$eval('#status', (e) => e.dataset.state), 'done', await page.$eval('#status', (e) => e.textContent));
          const r = JSON.parse(await page.$eval('#result', (e) => e.textContent));
          t.diagnostic(`${name} example ${query}: ${r.variant}, first ${r.firstMs.toFixed(0)} ms, median ${r.medianMs.toFixed(0)} ms`);
          assert.equal(r.variant, 'relaxed-threads');
          assert.equal(r.proxy, query.includes('proxy'));
          assert.deepEqual(r.outputDims, [1, 1, 160, 640]);
          assert.ok(r.maxProb > 0.9, `max probability ${r.maxProb}`);
          assert.ok(r.textFraction > 0.02 && r.textFraction < 0.3, `text fraction ${r.textFraction}`);
        } finally {
          await page.close();
          srv.closeAllConnections();
          await new Promise((r) => srv.close(r));
        }
      });
    }
  });
}
