// Test bundles built in memory (test data, not a packer) and a fake fetch that serves them with
// HTTP Range, counts what it sends and can be told to fail.
import { createHash, generateKeyPairSync, sign as edSign, randomBytes } from 'node:crypto';
import { canonicalJson } from '../../service-worker/src/canonical.mjs';

export const sha = (b) => createHash('sha256').update(b).digest('hex');

export function makeKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { privateKey, publicKeyB64: raw.toString('base64'), keyId: sha(raw).slice(0, 16) };
}

// payload cut at the given sizes (sum = payload length).
export function makeBundle({ name = 'tiny', version = '1.0.0', payload, sizes, channel = 'stable',
  runtime = '>=0.1.0 <1.0.0', rollout, keys }) {
  const chunks = [];
  let off = 0;
  const files = new Map();
  for (const s of sizes) {
    const b = payload.subarray(off, off + s);
    const h = sha(b);
    chunks.push({ sha256: h, size: s, offset: off });
    files.set(h, Buffer.from(b));
    off += s;
  }
  if (off !== payload.length) throw new Error('sizes do not cover the payload');
  const manifest = {
    schema: 1, name, version, channel, created: '2026-12-04T00:00:00Z', runtime,
    device: { min_memory_mb: 0, simd: false, threads: false },
    ops: ['ai.onnx:Add'], inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
    payload: { format: 'onnx', size: payload.length, sha256: sha(payload) },
    chunking: { algorithm: 'fastcdc-gear64', min_size: 16, avg_size: 64, max_size: 256 },
    chunks, metadata: { label: 'test' }, ci: { size_bytes: payload.length, params: 1, threads: 1 },
  };
  if (rollout !== undefined) manifest.rollout = { percent: rollout };
  if (keys) signManifest(manifest, keys);
  return { manifest, files, payload };
}

export function signManifest(manifest, keys) {
  delete manifest.signature;
  const sig = edSign(null, Buffer.from(canonicalJson(manifest)), keys.privateKey);
  manifest.signature = { alg: 'Ed25519', key_id: keys.keyId, value: sig.toString('base64') };
  return manifest;
}

export const randomPayload = (n) => new Uint8Array(randomBytes(n));

// A fake server: base/<dir>/manifest.json and base/<dir>/chunks/<sha>.
export class FakeServer {
  constructor() {
    this.files = new Map();
    this.log = [];          // {url, range, status, bytes}
    this.bytesSent = 0;
    this.failAfterRequests = Infinity; // chunk requests answered before the "network" goes away
    this.cutAfterBytes = null;          // {sha, bytes}: cut that chunk's body after N bytes
    this.chunkRequests = 0;
    this.ignoreRange = false;
  }
  addBundle(dir, { manifest, files }) {
    this.files.set(`http://test.local/${dir}/manifest.json`, Buffer.from(JSON.stringify(manifest, null, 2)));
    for (const [h, b] of files) this.files.set(`http://test.local/${dir}/chunks/${h}`, b);
    return `http://test.local/${dir}/manifest.json`;
  }
  chunkBytesSent() { return this.log.filter((l) => l.url.includes('/chunks/')).reduce((s, l) => s + l.bytes, 0); }
  chunkUrls() { return this.log.filter((l) => l.url.includes('/chunks/')).map((l) => l.url); }
  fetch = async (url, init = {}) => {
    const isChunk = url.includes('/chunks/');
    if (isChunk) {
      if (this.chunkRequests >= this.failAfterRequests) throw new TypeError('fetch failed (network down)');
      this.chunkRequests++;
    }
    const body = this.files.get(url);
    if (!body) { this.log.push({ url, status: 404, bytes: 0 }); return new Response('not found', { status: 404 }); }
    const range = init.headers && (init.headers.Range || init.headers.range);
    let start = 0, status = 200;
    if (range && !this.ignoreRange) {
      start = Number(/^bytes=(\d+)-$/.exec(range)[1]);
      status = 206;
    }
    let data = body.subarray(start);
    const cut = this.cutAfterBytes && isChunk && url.endsWith(this.cutAfterBytes.sha) ? this.cutAfterBytes.bytes : null;
    if (cut !== null) this.cutAfterBytes = null;
    const entry = { url, range, status, bytes: 0 };
    this.log.push(entry);
    const self = this;
    const n = cut !== null ? Math.min(cut, data.length) : data.length;
    let i = 0;
    // delivers 1000-byte pieces on demand; a cut errors the body once N bytes went out
    const stream = new ReadableStream({
      pull(ctrl) {
        if (i >= n) {
          if (cut !== null) ctrl.error(new TypeError('connection reset'));
          else ctrl.close();
          return;
        }
        const piece = data.subarray(i, Math.min(n, i + 1000));
        i += piece.length;
        ctrl.enqueue(new Uint8Array(piece));
        entry.bytes += piece.length; self.bytesSent += piece.length;
      },
    });
    return new Response(stream, { status, headers: { 'content-length': String(data.length) } });
  };
}
