// The package as users get it: `npm pack` (its prepack step assembles dist/ from build/wasm-dist),
// `npm install --offline <tarball>` into a fresh project, then
//   - Node resolves `import ... from 'edgeinfer'` through package.json "exports" and runs a real model
//     (openWakeWord embedding) matching the onnxruntime-node golden;
//   - esbuild bundles it for the browser (the "browser" condition: no Node built-ins in the bundle) and
//     for Node (the bundle runs, with env.wasm.wasmPaths pointing at the installed dist/);
//   - TypeScript type-checks a typed usage example against the declarations (bundler and node16
//     resolution) and rejects misuse;
//   - the browser bundle runs in headless Chromium with env.wasm.wasmPaths at the copied dist/.
// esbuild and typescript are js-bindings' dev dependencies (npm ci --prefix js-bindings).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { PKG, MODELS, assertDistBuilt } from './helpers.mjs';

const BIN = path.join(PKG, 'node_modules', '.bin');
const hasDevTools = fs.existsSync(path.join(BIN, 'esbuild')) && fs.existsSync(path.join(BIN, 'tsc'));
let tmp;
let project;
let tarball;
let bundled = false;

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });

before(() => {
  assertDistBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeinfer-pack-'));
  const out = run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: PKG });
  const info = JSON.parse(out.slice(out.indexOf('[')))[0];
  tarball = path.join(tmp, info.filename);
  project = path.join(tmp, 'app');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project });
});
after(() => { if (tmp) fs.rmSync(tmp, { recursive: true, force: true }); });

test('the tarball holds the ES modules, declarations and every wasm variant, nothing else', () => {
  const files = run('tar', ['-tzf', tarball]).trim().split('\n').map((f) => f.replace(/^package\//, '')).sort();
  for (const f of ['package.json', 'README.md', 'dist/index.mjs', 'dist/node.mjs', 'dist/index.d.ts', 'dist/index.d.mts',
    'dist/proxy-worker.mjs', 'dist/edgeinfer-simd-threads.wasm', 'dist/edgeinfer-simd-threads.worker.js',
    'dist/edgeinfer-simd-threads.mjs', 'dist/edgeinfer-simd.wasm', 'dist/edgeinfer-baseline.wasm', 'dist/edgeinfer-baseline.js',
    'dist/edgeinfer-relaxed-threads.wasm', 'dist/edgeinfer-relaxed-threads.worker.js', 'dist/edgeinfer-relaxed-threads.mjs']) {
    assert.ok(files.includes(f), `${f} missing from the tarball`);
  }
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('node_modules/') || f.startsWith('scripts/')), files.join(' '));
  const size = fs.statSync(tarball).size;
  assert.ok(size < 6 * 1024 * 1024, `tarball is ${size} bytes`);
});

test('installed package: Node import through "exports" runs a real model', () => {
  const script = `
    import { InferenceSession, Tensor, env, version } from 'edgeinfer';
    import { readNpy } from ${JSON.stringify(path.resolve(PKG, '..', 'tools', 'npy.mjs'))};
    const g = ${JSON.stringify(path.join(MODELS, 'golden', 'embedding_model'))};
    const x = readNpy(g + '/inputs/input_1.npy');
    const want = readNpy(g + '/outputs/conv2d_19.npy');
    const s = await InferenceSession.create(${JSON.stringify(path.join(MODELS, 'embedding_model.onnx'))});
    const out = await s.run({ input_1: new Tensor('float32', x.data, x.dims) });
    const y = out[s.outputNames[0]];
    let worst = 0;
    for (let i = 0; i < want.data.length; ++i) worst = Math.max(worst, Math.abs(y.data[i] - want.data[i]));
    await s.release();
    console.log(JSON.stringify({ version, variant: env.wasm.variant, dims: y.dims, worst }));
  `;
  fs.writeFileSync(path.join(project, 'run.mjs'), script);
  const r = JSON.parse(run('node', ['run.mjs'], { cwd: project }).trim().split('\n').pop());
  assert.equal(r.version, JSON.parse(fs.readFileSync(path.join(PKG, 'package.json'))).version);
  assert.ok(['simd-threads', 'simd'].includes(r.variant), r.variant);
  assert.deepEqual(r.dims, [1, 1, 1, 96]);
  assert.ok(r.worst < 1e-3, `max abs diff ${r.worst}`);
});

test('esbuild bundles it for the browser and for Node', { skip: hasDevTools ? false : 'npm ci --prefix js-bindings' }, () => {
  fs.writeFileSync(path.join(project, 'app.mjs'), `
    import { InferenceSession, Tensor, env } from 'edgeinfer';
    env.wasm.wasmPaths = process.env.EDGEINFER_DIST;
    const bytes = (await import('node:fs')).readFileSync(${JSON.stringify(path.join(MODELS, 'hey_jarvis_v0.1.onnx'))});
    const s = await InferenceSession.create(bytes);
    const out = await s.run({ 'x.1': new Tensor('float32', new Float32Array(16 * 96).fill(0.1), [1, 16, 96]) });
    console.log(JSON.stringify({ dims: out[s.outputNames[0]].dims, variant: env.wasm.variant }));
  `);
  fs.writeFileSync(path.join(project, 'page.mjs'), `
    import { InferenceSession, Tensor, env } from 'edgeinfer';
    env.wasm.wasmPaths = 'edgeinfer/';  // relative to the page, also for the proxy worker
    env.wasm.numThreads = 2;
    env.wasm.initTimeout = 60000;
    globalThis.go = async (proxy) => {
      env.wasm.proxy = proxy;
      const s = await InferenceSession.create('/model.onnx');
      const out = await s.run({ 'x.1': new Tensor('float32', new Float32Array(16 * 96).fill(0.1), [1, 16, 96]) });
      const y = out[s.outputNames[0]];
      await s.release();
      return { dims: y.dims, value: y.data[0], variant: env.wasm.variant };
    };
  `);
  const esbuild = path.join(BIN, 'esbuild');
  run(esbuild, ['page.mjs', '--bundle', '--platform=browser', '--format=esm', '--outfile=out/page.js'], { cwd: project });
  const page = fs.readFileSync(path.join(project, 'out', 'page.js'), 'utf8');
  assert.ok(page.includes('browserPlatform'), 'the browser bundle uses the browser entry');
  assert.ok(!/node:(fs|module|worker_threads)/.test(page), 'no Node built-ins in the browser bundle');
  assert.ok(!page.includes('createEdgeinfer'), 'the Emscripten glue is loaded at run time, not bundled');

  bundled = true;
  run(esbuild, ['app.mjs', '--bundle', '--platform=node', '--format=esm', '--outfile=out/app.mjs'], { cwd: project });
  const r = JSON.parse(run('node', ['out/app.mjs'], {
    cwd: project, env: { ...process.env, EDGEINFER_DIST: path.join(project, 'node_modules', 'edgeinfer', 'dist') },
  }).trim().split('\n').pop());
  assert.deepEqual(r.dims, [1, 1]);
});

test('TypeScript declarations type-check a usage example', { skip: hasDevTools ? false : 'npm ci --prefix js-bindings' }, () => {
  fs.writeFileSync(path.join(project, 'use.ts'), `
    import { InferenceSession, Tensor, env, EdgeinferError, type ErrorCode } from 'edgeinfer';
    env.wasm.numThreads = 2;
    env.wasm.proxy = false;
    env.wasm.wasmPaths = '/assets/edgeinfer/';
    export async function main(bytes: Uint8Array): Promise<number> {
      const s: InferenceSession = await InferenceSession.create(bytes, {
        graphOptimizationLevel: 'all', executionProviders: ['wasm'],
        onProgress: (loaded: number, total: number) => void (loaded + total), signal: new AbortController().signal,
      });
      const t = new Tensor('int64', new BigInt64Array(4), [2, 2]);
      const b = new Tensor('bool', [true, false], [2]);
      const f = new Tensor('float32', new Float32Array(3), [3]);
      const meta = s.inputMetadata[0];
      const dims: ReadonlyArray<number | string> = meta.shape;
      const out = await s.run({ [s.inputNames[0]]: t, b, f }, [s.outputNames[0]]);
      const first: Tensor = out[s.outputNames[0]];
      await s.release();
      try { await s.run({}); } catch (e) { if (e instanceof EdgeinferError) { const c: ErrorCode = e.code; void c; } }
      return first.size + dims.length + (env.wasm.variant === 'simd' ? 1 : 0);
    }
  `);
  const tsc = path.join(BIN, 'tsc');
  for (const [module, resolution] of [['esnext', 'bundler'], ['node16', 'node16']]) {
    try {
      run(tsc, ['--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,dom', '--module', module,
        '--moduleResolution', resolution, 'use.ts'], { cwd: project });
    } catch (e) {
      assert.fail(`tsc (${resolution}) failed:\n${e.stdout}${e.stderr}`);
    }
  }
  // And the declarations do reject misuse.
  fs.writeFileSync(path.join(project, 'bad.ts'), `
    import { Tensor, env } from 'edgeinfer';
    new Tensor('float32', new Int32Array(2), [2]);
    env.wasm.proxy = 'yes';
  `);
  let failed = '';
  try {
    run(tsc, ['--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,dom', '--module', 'esnext',
      '--moduleResolution', 'bundler', 'bad.ts'], { cwd: project });
  } catch (e) {
    failed = e.stdout;
  }
  assert.match(failed, /bad\.ts\(3,/);
  assert.match(failed, /bad\.ts\(4,/);
});

// The browser bundle above, in headless Chromium, with the package's dist/ copied to /edgeinfer/ as the
// README tells bundler users (cross-origin isolated: the threaded variant, also through the proxy).
test('the esbuild browser bundle runs in Chromium with env.wasm.wasmPaths', { skip: hasDevTools ? false : 'npm ci --prefix js-bindings' }, async () => {
  assert.ok(bundled, 'the bundle test ran first');
  const { default: puppeteer } = await import('puppeteer-core');
  const dist = path.join(project, 'node_modules', 'edgeinfer', 'dist');
  const files = {
    '/': ['text/html', Buffer.from('<!doctype html><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>')],
    '/page.js': ['text/javascript', fs.readFileSync(path.join(project, 'out', 'page.js'))],
    '/model.onnx': ['application/octet-stream', fs.readFileSync(path.join(MODELS, 'hey_jarvis_v0.1.onnx'))],
  };
  const types = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
  const server = http.createServer((req, res) => {
    const headers = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
    let file = files[req.url];
    if (!file && req.url.startsWith('/edgeinfer/')) {
      const f = path.join(dist, path.basename(req.url));
      if (fs.existsSync(f)) file = [types[path.extname(f)] || 'application/octet-stream', fs.readFileSync(f)];
    }
    if (!file) { res.writeHead(404, headers); res.end(); return; }
    res.writeHead(200, { ...headers, 'content-type': file[0] });
    res.end(file[1]);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run'] });
  try {
    for (const proxy of [false, true]) {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      await page.waitForFunction('typeof globalThis.go === "function"', { timeout: 30000 });
      const r = await page.evaluate((p) => globalThis.go(p), proxy);
      assert.deepEqual(r.dims, [1, 1]);
      assert.ok(Number.isFinite(r.value));
      assert.equal(r.variant, 'relaxed-threads');  // Chromium 156 has relaxed SIMD
      await page.close();
    }
  } finally {
    await browser.close();
    server.closeAllConnections();
    server.close();
  }
});
