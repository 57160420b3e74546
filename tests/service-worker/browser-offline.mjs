// Offline model delivery in a real browser (shared by browser-chromium/-firefox test files).
// A site (service-worker/demo page + the JS package's dist/ + sw.js) is served by site-server.mjs
// (a child process, no COOP/COEP of its own) with bundles packed and signed by the native CLI
// (`edgeinfer bundle pack|keygen|sign`) from a 4-layer MLP (4 x 256x256 float weights, ~1 MiB).
// One origin goes through: first visit installs + runs; server stopped -> reload runs offline and
// crossOriginIsolated; v2 changing one layer downloads only the changed chunks (ratio printed);
// v3 with a tampered chunk is rejected and v2 keeps answering. A second origin: an install cut
// half-way resumes without fetching any stored chunk again.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildModel, rng } from '../js/onnx-writer.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.join(ROOT, 'js-bindings', 'dist');
const CLI = process.env.EDGEINFER_CLI || path.join(ROOT, 'build', 'native', 'tools', 'edgeinfer');
const N = 256, LAYERS = 4;

function weights(seed) {
  const r = rng(seed);
  return Float32Array.from({ length: N * N }, () => (r() - 0.5) / 8);
}
function mlp(ws) {
  const nodes = [], inits = [];
  let x = 'x';
  ws.forEach((w, i) => {
    inits.push([`w${i}`, 'float32', [N, N], w]);
    nodes.push(['MatMul', [x, `w${i}`], [`m${i}`], `mm${i}`]);
    x = `m${i}`;
    if (i < ws.length - 1) { nodes.push(['Relu', [x], [`r${i}`], `relu${i}`]); x = `r${i}`; }
  });
  nodes[nodes.length - 1][2] = ['y'];
  return buildModel({ nodes, inits, inputs: [['x', 'float32', [1, N]]], outputs: [['y', 'float32', [1, N]]] });
}
function reference(ws, input) {
  let v = Float64Array.from(input);
  ws.forEach((w, l) => {
    const o = new Float64Array(N);
    for (let j = 0; j < N; j++) { let s = 0; for (let i = 0; i < N; i++) s += v[i] * w[i * N + j]; o[j] = l < ws.length - 1 ? Math.max(0, s) : s; }
    v = o;
  });
  return Array.from(v);
}
function assertClose(got, want, what) {
  assert.equal(got.length, want.length, what);
  const scale = Math.max(...want.map(Math.abs));
  const err = Math.max(...got.map((g, i) => Math.abs(g - want[i])));
  assert.ok(err <= 1e-4 * scale + 1e-6, `${what}: max error ${err} (scale ${scale})`);
}

class Site {
  constructor(dir) { this.dir = dir; this.log = []; this.proc = null; this.port = 0; }
  async start(extra = []) {
    const proc = spawn(process.execPath, [path.join(ROOT, 'tests/service-worker/site-server.mjs'), '--root', this.dir,
      '--port', String(this.port), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.proc = proc;
    let buf = '';
    await new Promise((resolve, reject) => {
      proc.on('exit', (c) => reject(new Error(`site server exited ${c}`)));
      proc.stdout.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i); buf = buf.slice(i + 1);
          if (line.startsWith('listening ')) { this.port = Number(line.slice(10)); resolve(); }
          else this.log.push(JSON.parse(line));
        }
      });
    });
    return `http://127.0.0.1:${this.port}/`;
  }
  async stop() {
    if (!this.proc) return;
    const p = this.proc; this.proc = null;
    await new Promise((r) => { p.removeAllListeners('exit'); p.on('exit', r); p.kill('SIGTERM'); });
  }
  chunkLog() { return this.log.filter((l) => l.path.includes('/chunks/')); }
}

export function defineOfflineTests(browserName, launch) {
  describe(`offline model delivery in ${browserName}`, { timeout: 600000 }, () => {
    let browser, tmp, pubkey, bundles, ws1, ws2, ws3;
    const input = Array.from({ length: N }, (_, i) => Math.sin(i));

    before(async () => {
      assert.ok(fs.existsSync(path.join(DIST, 'bundle-store.mjs')), 'js-bindings/dist not built (node js-bindings/scripts/build.mjs)');
      assert.ok(fs.existsSync(CLI), `${CLI} missing: build the native CLI (ninja -C build/native edgeinfer_cli)`);
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeinfer-offline-'));
      ws1 = [1, 2, 3, 4].map(weights);
      ws2 = [ws1[0], ws1[1], weights(33), ws1[3]];    // layer 3 changed
      ws3 = [ws2[0], weights(22), ws2[2], ws2[3]];    // layer 2 changed (tampered in transit)
      const out = execFileSync(CLI, ['bundle', 'keygen', '--out', path.join(tmp, 'k')], { encoding: 'utf8' });
      pubkey = out.trim().split(/\s+/).find((w) => /^[A-Za-z0-9+/]{43}=$/.test(w));
      assert.ok(pubkey, `no base64 public key in keygen output: ${out}`);
      bundles = {};
      for (const [v, w] of [['1.0.0', ws1], ['1.1.0', ws2], ['1.2.0', ws3]]) {
        const onnx = path.join(tmp, `mlp-${v}.onnx`);
        fs.writeFileSync(onnx, mlp(w));
        const dir = path.join(tmp, `b-${v}`);
        execFileSync(CLI, ['bundle', 'pack', onnx, '--name', 'mlp', '--version', v, '--out', dir, '--no-bench'], { stdio: 'pipe' });
        execFileSync(CLI, ['bundle', 'sign', dir, '--key', path.join(tmp, 'k.key')], { stdio: 'pipe' });
        bundles[v] = { dir, manifest: JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) };
      }
      // The site: demo page, package, service worker precaching all of it.
      const site = path.join(tmp, 'site');
      fs.mkdirSync(path.join(site, 'edgeinfer'), { recursive: true });
      for (const f of ['index.html', 'app.mjs']) fs.copyFileSync(path.join(ROOT, 'service-worker/demo', f), path.join(site, f));
      const pre = ['index.html', 'app.mjs'];
      for (const f of fs.readdirSync(DIST)) {
        if (/\.(mjs|js|wasm)$/.test(f)) { fs.copyFileSync(path.join(DIST, f), path.join(site, 'edgeinfer', f)); pre.push(`edgeinfer/${f}`); }
      }
      execFileSync(process.execPath, [path.join(ROOT, 'service-worker/build.mjs'), '--out', site, ...pre.flatMap((f) => ['--precache', f])], { stdio: 'pipe' });
      bundles.site = site;
      browser = await launch();
    });
    after(async () => {
      if (browser) await browser.close();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    async function openPage(base) {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.log(`[${browserName} page error] ${e.message}`));
      await page.goto(`${base}?threads=2&pubkey=${encodeURIComponent(pubkey)}`);
      await page.waitForFunction(() => window.demoReady, { timeout: 60000 });
      const first = await page.evaluate(() => window.demoReady);
      assert.ok(!first.error, first.error);
      if (!first.controlled) {
        await page.reload();
        await page.waitForFunction(() => window.demoReady, { timeout: 60000 });
        assert.equal((await page.evaluate(() => window.demoReady)).controlled, true, 'service worker controls the page');
      }
      return page;
    }
    const evalT = (page, fn, ...a) => Promise.race([page.evaluate(fn, ...a),
      new Promise((_, rej) => setTimeout(() => rej(new Error('page call timed out')), 120000))]);
    const sizeOf = (m, shas) => m.chunks.filter((c) => shas.has(c.sha256)).reduce((s, c) => s + c.size, 0);

    describe('one origin: install, offline, delta update, tamper', () => {
      const site = new Site(null);
      let page, base;
      after(async () => { if (page) await page.close(); await site.stop(); });

      test('first visit installs the model and runs it', async () => {
        site.dir = bundles.site;
        base = await site.start(['--bundle', `mlp=${bundles['1.0.0'].dir}`]);
        page = await openPage(base);
        const r = await evalT(page, (x) => window.demo.run(x), input);
        assertClose(r.output, reference(ws1, input), 'v1 output');
        assert.equal(r.isolated, true, 'crossOriginIsolated via the service worker');
        const st = await evalT(page, () => window.demo.status('mlp'));
        assert.equal(st.model.active, '1.0.0');
        assert.equal(st.chunks, new Set(bundles['1.0.0'].manifest.chunks.map((c) => c.sha256)).size);
      });

      test('server stopped: a reload still runs the model offline, cross-origin isolated', async () => {
        await site.stop();
        await page.reload();
        await page.waitForFunction(() => window.demoReady, { timeout: 60000 });
        const r = await evalT(page, (x) => window.demo.run(x), input);
        assertClose(r.output, reference(ws1, input), 'offline v1 output');
        assert.equal(r.isolated, true, 'crossOriginIsolated offline');
        assert.equal(r.variant, 'relaxed-threads');  // the precached relaxed-SIMD variant (both browsers here)
      });

      test('a new version changing one layer downloads only the changed chunks', async () => {
        site.log = [];
        await site.start(['--bundle', `mlp=${bundles['1.1.0'].dir}`]);
        const r = await evalT(page, () => window.demo.install());
        assert.equal(r.ok, true, r.message);
        assert.equal(r.model.active, '1.1.0');
        assert.equal(r.model.previous, '1.0.0');
        const m1 = bundles['1.0.0'].manifest, m2 = bundles['1.1.0'].manifest;
        const old = new Set(m1.chunks.map((c) => c.sha256));
        const changed = new Set(m2.chunks.map((c) => c.sha256).filter((h) => !old.has(h)));
        const sent = site.chunkLog().reduce((s, l) => s + l.bytes, 0);
        assert.equal(sent, sizeOf(m2, changed), 'bytes sent = the changed chunks');
        assert.equal(site.chunkLog().length, changed.size);
        console.log(`[${browserName}] delta update: ${sent} of ${m2.payload.size} bytes (${(100 * sent / m2.payload.size).toFixed(1)}%), ${changed.size} of ${m2.chunks.length} chunks`);
        assert.ok(sent < m2.payload.size / 2);
        const out = await evalT(page, (x) => window.demo.run(x), input);
        assertClose(out.output, reference(ws2, input), 'v2 output');
      });

      test('a tampered chunk is rejected and the active version keeps answering', async () => {
        await site.stop();
        const m2 = bundles['1.1.0'].manifest, m3 = bundles['1.2.0'].manifest;
        const have = new Set(m2.chunks.map((c) => c.sha256));
        const target = m3.chunks.find((c) => !have.has(c.sha256)).sha256;
        await site.start(['--bundle', `mlp=${bundles['1.2.0'].dir}`, '--tamper', target]);
        const r = await evalT(page, () => window.demo.install());
        assert.equal(r.ok, false);
        assert.equal(r.code, 'ChunkHashMismatch', r.message);
        const st = await evalT(page, () => window.demo.status('mlp'));
        assert.equal(st.model.active, '1.1.0');
        const out = await evalT(page, (x) => window.demo.run(x), input);
        assertClose(out.output, reference(ws2, input), 'v2 still answers');
      });
    });

    test('an install interrupted half-way resumes without re-downloading stored chunks', async () => {
      const site = new Site(bundles.site);
      const m = bundles['1.0.0'].manifest;
      const unique = new Set(m.chunks.map((c) => c.sha256));
      const half = Math.floor(unique.size / 2);
      const base = await site.start(['--bundle', `mlp=${bundles['1.0.0'].dir}`, '--cut-after', String(half)]);
      const page = await openPage(base);
      try {
        const r1 = await evalT(page, () => window.demo.install());
        assert.equal(r1.ok, false);
        assert.equal(r1.code, 'NetworkError', r1.message);
        const st = await evalT(page, () => window.demo.status('mlp'));
        assert.equal(st.model, null, 'nothing active after the cut');
        assert.equal(st.chunks, half);
        const firstServed = new Set(site.chunkLog().filter((l) => l.status === 200).map((l) => l.path.slice(-64)));
        await site.stop();
        site.log = [];
        await site.start(['--bundle', `mlp=${bundles['1.0.0'].dir}`]);
        const r2 = await evalT(page, () => window.demo.install());
        assert.equal(r2.ok, true, r2.message);
        const again = site.chunkLog().map((l) => l.path.slice(-64));
        assert.equal(again.length, unique.size - half);
        assert.ok(again.every((h) => !firstServed.has(h)), 'no stored chunk fetched again');
        const out = await evalT(page, (x) => window.demo.run(x), input);
        assertClose(out.output, reference(ws1, input), 'resumed v1 output');
      } finally { await page.close(); await site.stop(); }
    });
  });
}
