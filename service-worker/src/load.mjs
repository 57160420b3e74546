// loadBundle(manifestUrl): the ONNX bytes for a bundle, through the chunk store when IndexedDB is
// available (install/update, then read; offline it reads what is stored), else a plain fetch of
// the chunks with the same checks (signature, runtime range, chunk and payload hashes).
import { BundleError } from './errors.mjs';
import { sha256Hex } from './crypto.mjs';
import { openModelStore, indexedDBAvailable, fetchManifest, ModelStore } from './store.mjs';

export async function loadBundle(manifestUrl, options = {}) {
  manifestUrl = new URL(String(manifestUrl), globalThis.location ? globalThis.location.href : undefined).href;
  if (indexedDBAvailable() && options.useStore !== false) {
    const store = await openModelStore(options);
    try {
      let installErr = null, manifestName = options.name;
      try {
        const r = await store.install(manifestUrl, options);
        manifestName = r.name;
      } catch (e) {
        installErr = e;
      }
      if (!manifestName) manifestName = await nameFromStore(store, manifestUrl);
      if (manifestName) {
        try {
          const p = await store.loadPayload(manifestName);
          return { ...p, name: manifestName, installError: installErr, source: 'store' };
        } catch (e) { if (!installErr) throw e; }
      }
      throw installErr;
    } finally {
      store.close();
    }
  }
  return fetchBundleDirect(manifestUrl, options);
}

async function nameFromStore(store, manifestUrl) {
  const all = await store.db.getAll('manifests');
  const hit = all.find((r) => r.url === String(manifestUrl));
  return hit ? hit.name : null;
}

export async function fetchBundleDirect(manifestUrl, options = {}) {
  const fetchFn = options.fetch || globalThis.fetch.bind(globalThis);
  const manifest = await fetchManifest(manifestUrl, fetchFn, options.signal);
  // Same checks as an install, without a cohort store: rollout is not applied without IndexedDB.
  await ModelStore.prototype.checkManifest.call({ options, cohort: async () => 0 }, manifest, { ignoreRollout: true });
  const base = new URL('chunks/', new URL(String(manifestUrl), globalThis.location ? globalThis.location.href : undefined));
  const out = new Uint8Array(manifest.payload.size);
  const done = new Map();
  for (const c of manifest.chunks) {
    let b = done.get(c.sha256);
    if (!b) {
      const url = new URL(c.sha256, base).href;
      let res;
      try { res = await fetchFn(url, { signal: options.signal }); }
      catch (e) { throw new BundleError('NetworkError', `cannot fetch chunk ${url}: ${e && e.message || e}`, { cause: e }); }
      if (!res.ok) throw new BundleError('NetworkError', `cannot fetch chunk ${url}: HTTP ${res.status}`);
      b = new Uint8Array(await res.arrayBuffer());
      if (b.byteLength !== c.size || (await sha256Hex(b)) !== c.sha256) {
        throw new BundleError('ChunkHashMismatch', `chunk ${url} does not match its hash: tampered or corrupted`);
      }
      done.set(c.sha256, b);
    }
    out.set(b, c.offset);
  }
  if ((await sha256Hex(out)) !== manifest.payload.sha256) {
    throw new BundleError('PayloadHashMismatch', `payload of ${manifest.name}@${manifest.version} does not match payload.sha256`);
  }
  return { bytes: out, manifest, version: manifest.version, name: manifest.name, source: 'network' };
}
