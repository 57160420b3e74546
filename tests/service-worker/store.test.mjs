// Offline model store (service-worker/src): installs, deltas, resume, atomic switch, versions, GC,
// tamper rejection, rollout. IndexedDB is fake-indexeddb; the network is a fake fetch (helpers.mjs).
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModelStore, BundleError, loadBundle, canonicalJson } from '../../service-worker/src/index.mjs';
import { _forceEd25519Fallback } from '../../service-worker/src/crypto.mjs';
import { FakeServer, makeBundle, makeKeys, randomPayload, sha, signManifest } from './helpers.mjs';

let dbn = 0;
const open = (o = {}) => openModelStore({ dbName: `t${dbn++}`, runtimeVersion: '0.1.0', concurrency: 1, ...o });
const SIZES = [3000, 5000, 4000, 6000, 2000, 7000]; // 27000 bytes in 6 chunks

function twoVersions() {
  const p1 = randomPayload(27000);
  const p2 = new Uint8Array(p1);
  for (let i = 8500; i < 8600; i++) p2[i] ^= 0xff; // inside chunk 2 (offset 8000..12000)
  return [makeBundle({ version: '1.0.0', payload: p1, sizes: SIZES }), makeBundle({ version: '1.1.0', payload: p2, sizes: SIZES })];
}
const rejects = (p, code) => assert.rejects(p, (e) => e instanceof BundleError && e.code === code, `want ${code}`);

test('install stores chunks, activates, and the payload comes back byte for byte', async () => {
  const srv = new FakeServer();
  const [b1] = twoVersions();
  const url = srv.addBundle('v1', b1);
  const store = await open({ fetch: srv.fetch });
  const events = [];
  const r = await store.install(url, { onProgress: (p) => events.push(p) });
  assert.equal(r.chunksFetched, 6);
  assert.equal(r.bytesFetched, 27000);
  assert.equal((await store.getModel('tiny')).active, '1.0.0');
  const { bytes } = await store.loadPayload('tiny', { verify: true });
  assert.deepEqual(Buffer.from(bytes), Buffer.from(b1.payload));
  const last = events.at(-1);
  assert.equal(last.phase, 'done');
  assert.equal(last.bytesDone, 27000);
  assert.equal(last.chunksDone, 6);
  assert.ok(events.some((e) => e.bytesDone > 0 && e.bytesDone < 27000), 'intermediate progress');
  // second install of the same version is a no-op
  const again = await store.install(url);
  assert.equal(again.alreadyActive, true);
  assert.equal(srv.chunkRequests, 6);
  store.close();
});

test('delta install downloads only the changed chunk', async () => {
  const srv = new FakeServer();
  const [b1, b2] = twoVersions();
  const u1 = srv.addBundle('v1', b1), u2 = srv.addBundle('v2', b2);
  const store = await open({ fetch: srv.fetch });
  await store.install(u1);
  const before = srv.chunkBytesSent();
  const r = await store.install(u2);
  assert.equal(r.chunksFetched, 1);
  assert.equal(r.bytesFetched, 4000);
  assert.equal(srv.chunkBytesSent() - before, 4000);
  const m = await store.getModel('tiny');
  assert.equal(m.active, '1.1.0');
  assert.equal(m.previous, '1.0.0');
  assert.deepEqual(Buffer.from((await store.loadPayload('tiny')).bytes), Buffer.from(b2.payload));
  store.close();
});

for (let k = 0; k <= SIZES.length - 1; k++) {
  test(`resume after the network goes away at chunk boundary ${k}`, async () => {
    const srv = new FakeServer();
    const [b1] = twoVersions();
    const url = srv.addBundle('v1', b1);
    const store = await open({ fetch: srv.fetch });
    srv.failAfterRequests = k;
    await rejects(store.install(url), 'NetworkError');
    assert.equal(await store.getModel('tiny'), null, 'nothing active after a failed install');
    assert.equal((await store.chunkKeys()).length, k);
    srv.failAfterRequests = Infinity;
    const sentBefore = srv.chunkBytesSent();
    const r = await store.install(url);
    assert.equal(r.chunksFetched, SIZES.length - k);
    const expected = SIZES.slice(k).reduce((a, b) => a + b, 0);
    assert.equal(srv.chunkBytesSent() - sentBefore, expected, 'no stored chunk is fetched again');
    assert.deepEqual(Buffer.from((await store.loadPayload('tiny', { verify: true })).bytes), Buffer.from(b1.payload));
    store.close();
  });
}

test('resume inside a chunk continues with HTTP Range from the byte reached', async () => {
  const srv = new FakeServer();
  const p = randomPayload(600 * 1024);
  const b = makeBundle({ payload: p, sizes: [100 * 1024, 500 * 1024] });
  const url = srv.addBundle('big', b);
  const store = await open({ fetch: srv.fetch });
  const big = b.manifest.chunks[1].sha256;
  srv.cutAfterBytes = { sha: big, bytes: 300 * 1000 };
  await rejects(store.install(url), 'NetworkError');
  const partial = await store.db.get('partials', big);
  assert.equal(partial.bytes.byteLength, 300 * 1000, 'partial bytes kept');
  const sentBefore = srv.chunkBytesSent();
  await store.install(url);
  const last = srv.log.at(-1);
  assert.equal(last.range, `bytes=${300 * 1000}-`);
  assert.equal(last.status, 206);
  assert.equal(srv.chunkBytesSent() - sentBefore, 500 * 1024 - 300 * 1000);
  assert.equal(await store.db.get('partials', big), undefined, 'partial dropped once the chunk is whole');
  assert.deepEqual(Buffer.from((await store.loadPayload('tiny', { verify: true })).bytes), Buffer.from(p));
  store.close();
});

test('a server that ignores Range (200) restarts the chunk and still verifies', async () => {
  const srv = new FakeServer();
  const p = randomPayload(400 * 1024);
  const b = makeBundle({ payload: p, sizes: [400 * 1024] });
  const url = srv.addBundle('big', b);
  const store = await open({ fetch: srv.fetch });
  srv.cutAfterBytes = { sha: b.manifest.chunks[0].sha256, bytes: 300 * 1000 };
  await rejects(store.install(url), 'NetworkError');
  srv.ignoreRange = true;
  await store.install(url);
  assert.deepEqual(Buffer.from((await store.loadPayload('tiny', { verify: true })).bytes), Buffer.from(p));
  store.close();
});

test('atomic switch: a failure during the switch leaves the previous version active', async () => {
  const srv = new FakeServer();
  const [b1, b2] = twoVersions();
  const u1 = srv.addBundle('v1', b1), u2 = srv.addBundle('v2', b2);
  const store = await open({ fetch: srv.fetch });
  await store.install(u1);
  store._failBeforeCommit = true;
  await rejects(store.install(u2), 'NetworkError');
  store._failBeforeCommit = false;
  const m = await store.getModel('tiny');
  assert.equal(m.active, '1.0.0');
  assert.equal(m.previous, null);
  const rec = await store.db.get('manifests', 'tiny@1.1.0');
  assert.equal(rec.complete, false, 'the new version is not marked complete');
  assert.deepEqual(Buffer.from((await store.loadPayload('tiny')).bytes), Buffer.from(b1.payload));
  await rejects(store.loadPayload('tiny', { version: '1.1.0' }), 'NotInstalled');
  // a retry completes without downloading again
  const r = await store.install(u2);
  assert.equal(r.chunksFetched, 0);
  assert.equal((await store.getModel('tiny')).active, '1.1.0');
  store.close();
});

test('a failed download midway never activates the new version', async () => {
  const srv = new FakeServer();
  const [b1, b2] = twoVersions();
  const u1 = srv.addBundle('v1', b1);
  b2.files.delete(b2.manifest.chunks[2].sha256); // changed chunk missing on the server -> 404
  const u2 = srv.addBundle('v2', b2);
  const store = await open({ fetch: srv.fetch });
  await store.install(u1);
  await rejects(store.install(u2), 'NetworkError');
  assert.equal((await store.getModel('tiny')).active, '1.0.0');
  store.close();
});

test('rollback swaps to the previous version; no previous -> NoPrevious', async () => {
  const srv = new FakeServer();
  const [b1, b2] = twoVersions();
  const u1 = srv.addBundle('v1', b1), u2 = srv.addBundle('v2', b2);
  const store = await open({ fetch: srv.fetch });
  await store.install(u1);
  await rejects(store.rollback('tiny'), 'NoPrevious');
  await rejects(store.rollback('nope'), 'NotInstalled');
  await store.install(u2);
  const requests = srv.chunkRequests;
  await store.rollback('tiny');
  assert.equal((await store.getModel('tiny')).active, '1.0.0');
  assert.deepEqual(Buffer.from((await store.loadPayload('tiny')).bytes), Buffer.from(b1.payload));
  assert.equal(srv.chunkRequests, requests, 'rollback is instant: no download');
  await store.rollback('tiny');
  assert.equal((await store.getModel('tiny')).active, '1.1.0');
  store.close();
});

test('pin keeps a version loading and kept by GC across later installs', async () => {
  const srv = new FakeServer();
  const p1 = randomPayload(27000);
  const vers = ['1.0.0', '1.1.0', '1.2.0'].map((v, i) => {
    const p = new Uint8Array(p1);
    p[100 + i * 9000] ^= 1 + i;
    return makeBundle({ version: v, payload: p, sizes: SIZES });
  });
  const urls = vers.map((b, i) => srv.addBundle(`v${i}`, b));
  const store = await open({ fetch: srv.fetch });
  await store.install(urls[0]);
  await rejects(store.pin('tiny', '9.9.9'), 'NotInstalled');
  await store.pin('tiny', '1.0.0');
  await store.install(urls[1]);
  await store.install(urls[2]);
  assert.equal(await store.resolveVersion('tiny'), '1.0.0');
  await store.gc();
  assert.deepEqual(Buffer.from((await store.loadPayload('tiny', { verify: true })).bytes), Buffer.from(vers[0].payload));
  await store.unpin('tiny');
  assert.equal(await store.resolveVersion('tiny'), '1.2.0');
  store.close();
});

test('gc deletes unused versions and orphan chunks, keeps active and previous', async () => {
  const srv = new FakeServer();
  const p = randomPayload(27000);
  const vers = ['1.0.0', '1.1.0', '1.2.0'].map((v, i) => {
    const q = new Uint8Array(p);
    q[100 + i * 9000] ^= 1 + i; // each version changes a different chunk
    return makeBundle({ version: v, payload: q, sizes: SIZES });
  });
  const urls = vers.map((b, i) => srv.addBundle(`v${i}`, b));
  const store = await open({ fetch: srv.fetch });
  for (const u of urls) await store.install(u);
  const before = (await store.chunkKeys()).length;
  const r = await store.gc();
  assert.equal(r.versionsDeleted, 1);
  const needed = new Set([...vers[1].manifest.chunks, ...vers[2].manifest.chunks].map((c) => c.sha256));
  const left = new Set(await store.chunkKeys());
  assert.deepEqual([...left].sort(), [...needed].sort());
  assert.equal(r.chunksDeleted, before - needed.size);
  assert.ok(r.chunksDeleted >= 1);
  assert.equal(await store.getManifest('tiny', '1.0.0'), null);
  for (const v of ['1.1.0', '1.2.0']) {
    assert.equal((await store.loadPayload('tiny', { version: v, verify: true })).version, v);
  }
  store.close();
});

test('gc keeps an incomplete install (for resume) unless dropIncomplete', async () => {
  const srv = new FakeServer();
  const [b1] = twoVersions();
  const url = srv.addBundle('v1', b1);
  const store = await open({ fetch: srv.fetch });
  srv.failAfterRequests = 3;
  await rejects(store.install(url), 'NetworkError');
  await store.gc();
  assert.equal((await store.chunkKeys()).length, 3);
  await store.gc({ dropIncomplete: true });
  assert.equal((await store.chunkKeys()).length, 0);
  store.close();
});

test('tampered chunk is rejected, not stored, and the active version keeps working', async () => {
  const srv = new FakeServer();
  const [b1, b2] = twoVersions();
  const u1 = srv.addBundle('v1', b1), u2 = srv.addBundle('v2', b2);
  const changed = b2.manifest.chunks[2].sha256;
  const f = srv.files.get(`http://test.local/v2/chunks/${changed}`);
  f[10] ^= 0x55;
  const store = await open({ fetch: srv.fetch });
  await store.install(u1);
  await rejects(store.install(u2), 'ChunkHashMismatch');
  assert.equal(await store.hasChunk(changed), false);
  assert.equal((await store.getModel('tiny')).active, '1.0.0');
  assert.deepEqual(Buffer.from((await store.loadPayload('tiny', { verify: true })).bytes), Buffer.from(b1.payload));
  store.close();
});

test('signature: good passes; missing, wrong key, altered manifest rejected with BadSignature', async () => {
  const keys = makeKeys(), other = makeKeys();
  const srv = new FakeServer();
  const [b1, b2] = twoVersions();
  signManifest(b1.manifest, keys);
  const good = srv.addBundle('good', b1);
  const unsigned = srv.addBundle('unsigned', b2);
  const wrongKey = srv.addBundle('wrongkey', { ...b2, manifest: signManifest(structuredClone(b2.manifest), other) });
  const altered = structuredClone(b2.manifest);
  signManifest(altered, keys);
  altered.rollout = { percent: 100 }; // changed after signing
  const alteredUrl = srv.addBundle('altered', { ...b2, manifest: altered });
  const store = await open({ fetch: srv.fetch, publicKey: keys.publicKeyB64 });
  await store.install(good);
  await rejects(store.install(unsigned), 'BadSignature');
  await rejects(store.install(wrongKey), 'BadSignature');
  await rejects(store.install(alteredUrl), 'BadSignature');
  assert.equal((await store.getModel('tiny')).active, '1.0.0');
  assert.equal((await store.loadPayload('tiny')).version, '1.0.0');
  store.close();
});

test('signature verifies with the @noble/ed25519 fallback too', async () => {
  const keys = makeKeys();
  const srv = new FakeServer();
  const [b1, b2] = twoVersions();
  signManifest(b1.manifest, keys);
  const good = srv.addBundle('good', b1);
  const bad = structuredClone(b2.manifest);
  signManifest(bad, keys);
  bad.version = '1.2.0';
  const badUrl = srv.addBundle('bad', { ...b2, manifest: bad });
  _forceEd25519Fallback(true);
  try {
    const store = await open({ fetch: srv.fetch, publicKey: keys.publicKeyB64 });
    await store.install(good);
    await rejects(store.install(badUrl), 'BadSignature');
    store.close();
  } finally { _forceEd25519Fallback(false); }
});

test('canonical bytes: sorted keys, no whitespace, JSON.stringify escapes, integers only', () => {
  assert.equal(canonicalJson({ b: 1, a: [true, null, 'x"\u2028\n'], A: { z: -3 } }), '{"A":{"z":-3},"a":[true,null,"x\\"\u2028\\n"],"b":1}');
  assert.throws(() => canonicalJson({ x: 1.5 }), (e) => e.code === 'BadManifest');
});

test('runtime range outside -> RuntimeRange; the active version keeps working', async () => {
  const srv = new FakeServer();
  const [b1, b2] = twoVersions();
  b2.manifest.runtime = '>=2.0.0';
  const u1 = srv.addBundle('v1', b1), u2 = srv.addBundle('v2', b2);
  const store = await open({ fetch: srv.fetch });
  await store.install(u1);
  const requests = srv.chunkRequests;
  await rejects(store.install(u2), 'RuntimeRange');
  assert.equal(srv.chunkRequests, requests, 'nothing downloaded');
  assert.equal((await store.getModel('tiny')).active, '1.0.0');
  store.close();
});

test('bad manifests are rejected before download', async () => {
  const srv = new FakeServer();
  const [b1] = twoVersions();
  const broken = structuredClone(b1.manifest);
  broken.chunks[1].offset += 1;
  const store = await open({ fetch: srv.fetch });
  await rejects(store.install(srv.addBundle('x', { ...b1, manifest: broken })), 'BadManifest');
  await rejects(store.install(srv.addBundle('y', { ...b1, manifest: { ...b1.manifest, schema: 2 } })), 'BadManifest');
  assert.equal(srv.chunkRequests, 0);
  store.close();
});

test('rollout cohort: stable per device, gates installs by percent', async () => {
  const srv = new FakeServer();
  const [b1, b2] = twoVersions();
  const store = await open({ fetch: srv.fetch });
  const c = await store.cohort();
  assert.ok(Number.isInteger(c) && c >= 0 && c < 100);
  assert.equal(await store.cohort(), c, 'cohort is kept');
  await store.db.put('meta', 42, 'cohort');
  b1.manifest.rollout = { percent: 42 };
  await rejects(store.install(srv.addBundle('r42', b1)), 'NotInRollout');
  b2.manifest.rollout = { percent: 43 };
  await store.install(srv.addBundle('r43', b2));
  assert.equal((await store.getModel('tiny')).active, '1.1.0');
  store.close();
});

test('channels: a stable device refuses beta; a beta device takes it', async () => {
  const srv = new FakeServer();
  const [, b2] = twoVersions();
  b2.manifest.channel = 'beta';
  const url = srv.addBundle('beta', b2);
  const s1 = await open({ fetch: srv.fetch });
  await rejects(s1.install(url), 'ChannelMismatch');
  s1.close();
  const s2 = await open({ fetch: srv.fetch, channel: 'beta' });
  await s2.install(url);
  s2.close();
});

test('quota short -> QuotaExceeded before download; persist() is asked for', async () => {
  const srv = new FakeServer();
  const [b1] = twoVersions();
  const url = srv.addBundle('v1', b1);
  let persistAsked = 0;
  const store = await open({ fetch: srv.fetch });
  await rejects(store.install(url, { storage: { estimate: async () => ({ usage: 990, quota: 1000 }), persist: async () => true } }), 'QuotaExceeded');
  assert.equal(srv.chunkRequests, 0);
  const r = await store.install(url, { storage: { estimate: async () => ({ usage: 0, quota: 1e9 }), persist: async () => { persistAsked++; return true; } } });
  assert.equal(persistAsked, 1);
  assert.equal(r.persisted, true);
  store.close();
});

test('metered connection / Save-Data: large download waits unless allowed', async () => {
  const srv = new FakeServer();
  const [b1] = twoVersions();
  const url = srv.addBundle('v1', b1);
  const store = await open({ fetch: srv.fetch, largeDownloadBytes: 1000 });
  await rejects(store.install(url, { connection: { saveData: true }, metered: 'fail' }), 'MeteredDeferred');
  await rejects(store.install(url, { connection: { type: 'cellular' }, metered: 'fail' }), 'MeteredDeferred');
  assert.equal(srv.chunkRequests, 0);
  // By default the install waits: aborted while waiting, nothing was fetched.
  const ac = new AbortController();
  const deferred = new Promise((r) => store.addEventListener('deferred', (e) => r(e.detail), { once: true }));
  const waiting = store.install(url, { connection: { saveData: true }, signal: ac.signal });
  assert.equal((await deferred).reason, 'metered');
  ac.abort();
  await rejects(waiting, 'Aborted');
  assert.equal(srv.chunkRequests, 0);
  // It goes on when the connection stops being metered...
  const conn = Object.assign(new EventTarget(), { type: 'cellular' });
  const onChange = store.install(url, { connection: conn });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(srv.chunkRequests, 0);
  conn.type = 'wifi';
  conn.dispatchEvent(new Event('change'));
  assert.equal((await onChange).version, '1.0.0');
  assert.ok(srv.chunkRequests > 0);
  store.close();
  // ...or when the app allows it, and with allowMetered it does not wait at all.
  const store2 = await open({ fetch: srv.fetch, largeDownloadBytes: 1000 });
  const allowed = store2.install(url, { connection: { saveData: true } });
  await new Promise((r) => setTimeout(r, 20));
  store2.allowMetered();
  assert.equal((await allowed).version, '1.0.0');
  store2.close();
  const store3 = await open({ fetch: srv.fetch, largeDownloadBytes: 1000 });
  await store3.install(url, { connection: { saveData: true }, allowMetered: true });
  store3.close();
});

test('concurrent downloads (limit 3) assemble the same payload', async () => {
  const srv = new FakeServer();
  let inflight = 0, peak = 0;
  const [b1] = twoVersions();
  const url = srv.addBundle('v1', b1);
  const fetch = async (u, i) => { inflight++; peak = Math.max(peak, inflight); await new Promise((r) => setTimeout(r, 5)); try { return await srv.fetch(u, i); } finally { inflight--; } };
  const store = await open({ fetch, concurrency: 3 });
  await store.install(url);
  assert.ok(peak <= 3 && peak >= 2, `peak concurrency ${peak}`);
  assert.deepEqual(Buffer.from((await store.loadPayload('tiny', { verify: true })).bytes), Buffer.from(b1.payload));
  store.close();
});

test('loadBundle: through the store, offline from the store, and direct fetch with checks', async () => {
  const srv = new FakeServer();
  const [b1] = twoVersions();
  const url = srv.addBundle('v1', b1);
  const dbName = `t${dbn++}`;
  const r1 = await loadBundle(url, { fetch: srv.fetch, dbName, runtimeVersion: '0.1.0' });
  assert.equal(r1.source, 'store');
  assert.deepEqual(Buffer.from(r1.bytes), Buffer.from(b1.payload));
  const offline = async () => { throw new TypeError('offline'); };
  const r2 = await loadBundle(url, { fetch: offline, dbName, runtimeVersion: '0.1.0' });
  assert.equal(r2.source, 'store');
  assert.equal(r2.installError.code, 'NetworkError');
  assert.deepEqual(Buffer.from(r2.bytes), Buffer.from(b1.payload));
  const r3 = await loadBundle(url, { fetch: srv.fetch, useStore: false });
  assert.equal(r3.source, 'network');
  assert.deepEqual(Buffer.from(r3.bytes), Buffer.from(b1.payload));
  srv.files.get(`http://test.local/v1/chunks/${b1.manifest.chunks[0].sha256}`)[0] ^= 1;
  await rejects(loadBundle(url, { fetch: srv.fetch, useStore: false }), 'ChunkHashMismatch');
});
