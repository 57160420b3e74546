// Minimal page for the offline model store and service worker: registers sw.js, installs or updates
// the bundle at ?manifest= (default models/mlp/manifest.json), runs it, and exposes window.demo for
// tests. Layout next to this file: sw.js, edgeinfer/ (the JS package's dist/), models/<name>/.
import * as ei from './edgeinfer/index.mjs';
import { openModelStore } from './edgeinfer/bundle-store.mjs';

const params = new URLSearchParams(location.search);
const manifestUrl = new URL(params.get('manifest') || 'models/mlp/manifest.json', location.href).href;
const publicKey = params.get('pubkey') || undefined;
if (params.get('threads')) ei.env.wasm.numThreads = Number(params.get('threads'));
const show = (s) => { document.getElementById('status').textContent = s; };

async function ensureServiceWorker() {
  if (!('serviceWorker' in navigator)) return false;
  await navigator.serviceWorker.register('./sw.js');
  await navigator.serviceWorker.ready;
  return !!navigator.serviceWorker.controller;
}

async function install(opts = {}) {
  const store = await openModelStore({ publicKey, runtimeVersion: ei.version, ...opts });
  const events = [];
  try {
    const r = await store.install(manifestUrl, { onProgress: (p) => { events.push(p); show(`${p.phase}: ${p.bytesDone}/${p.bytesTotal} bytes, ${p.chunksDone}/${p.chunksTotal} chunks`); } });
    return { ok: true, ...r, progressEvents: events.length, model: await store.getModel(r.name) };
  } catch (e) {
    return { ok: false, code: e.code || e.name, message: e.message };
  } finally { store.close(); }
}

async function status(name) {
  const store = await openModelStore();
  try { return { model: await store.getModel(name), chunks: (await store.chunkKeys()).length }; } finally { store.close(); }
}

async function run(input) {
  const session = await ei.InferenceSession.create(manifestUrl, { bundle: { publicKey } });
  try {
    const x = new ei.Tensor('float32', Float32Array.from(input), [1, input.length]);
    const out = await session.run({ [session.inputNames[0]]: x });
    return { output: Array.from(out[session.outputNames[0]].data), isolated: self.crossOriginIsolated, variant: session.variant };
  } finally { await session.release(); }
}

window.demo = { ensureServiceWorker, install, run, status, manifestUrl };
ensureServiceWorker().then((controlled) => { window.demoReady = { controlled }; show(controlled ? 'ready (service worker active)' : 'ready (reload to be served by the service worker)'); },
  (e) => { window.demoReady = { error: String(e) }; show(`service worker failed: ${e}`); });
