// The package loads model bundles: InferenceSession.create(".../manifest.json") under Node, first
// without IndexedDB (plain fetch of the chunks, checked), then with fake-indexeddb (through the chunk
// store; with the server gone it loads the stored version). Needs js-bindings/dist (build.mjs).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { assertDistBuilt, tinyModel, tinyExpected, DIST } from '../js/helpers.mjs';
import { makeBundle, makeKeys } from './helpers.mjs';

assertDistBuilt();
const { InferenceSession, Tensor, disposeEngine } = await import(`${DIST}/node.mjs`);
const keys = makeKeys();
const payload = tinyModel();
const sizes = [];
for (let left = payload.length; left > 0; left -= Math.min(left, 100)) sizes.push(Math.min(left, 100));
const good = makeBundle({ name: 'tiny', payload, sizes, keys });
const files = new Map([['/tiny/manifest.json', Buffer.from(JSON.stringify(good.manifest))]]);
for (const [h, b] of good.files) files.set(`/tiny/chunks/${h}`, b);
const tampered = new Map(files);
const first = good.manifest.chunks[0].sha256;
tampered.set(`/tiny/chunks/${first}`, Buffer.from(good.files.get(first)).fill(7, 0, 10));
let serving = files;
const server = http.createServer((req, res) => {
  const b = serving.get(req.url);
  res.writeHead(b ? 200 : 404); res.end(b || 'not found');
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/tiny/manifest.json`;
after(async () => { server.close(); await disposeEngine(); });

async function check(session) {
  const x = new Float32Array([1, -2, 0.5, 3]);
  const out = await session.run({ x: new Tensor('float32', x, [1, 4]) });
  const want = tinyExpected(x);
  out.y.data.forEach((v, i) => assert.ok(Math.abs(v - want.y[i]) < 1e-6));
  await session.release();
}

test('without IndexedDB: create(manifest URL) fetches and checks the chunks', async () => {
  assert.equal(typeof indexedDB, 'undefined');
  await check(await InferenceSession.create(url, { bundle: { publicKey: keys.publicKeyB64 } }));
  serving = tampered;
  await assert.rejects(InferenceSession.create(url), (e) => e.code === 'LoadFailed' && e.bundleCode === 'ChunkHashMismatch');
  serving = files;
  await assert.rejects(InferenceSession.create(url, { bundle: { publicKey: makeKeys().publicKeyB64 } }),
    (e) => e.code === 'LoadFailed' && e.bundleCode === 'BadSignature');
});

test('with IndexedDB: installs through the store and loads offline', async () => {
  await import('fake-indexeddb/auto');
  const progress = [];
  await check(await InferenceSession.create(url, { bundle: { publicKey: keys.publicKeyB64 }, onProgress: (l, t) => progress.push([l, t]) }));
  assert.deepEqual(progress.at(-1), [payload.length, payload.length]);
  serving = new Map(); // the server answers 404 to everything
  await check(await InferenceSession.create(url, { bundle: { publicKey: keys.publicKeyB64 } }));
});
