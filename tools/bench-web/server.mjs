// Static file server for the in-browser benchmark, bound to 127.0.0.1.
//
// Serves a few read-only trees of the repository (the bench pages, the wasm builds, onnxruntime-web's
// dist and the models) with the headers the benchmark depends on:
//   - COOP same-origin + COEP require-corp on everything (cross-origin isolation: SharedArrayBuffer,
//     hence pthreads, for both runtimes; worker scripts need COEP too), CORP same-origin;
//   - correct Content-Types (.wasm as application/wasm keeps streaming compilation; .js/.mjs as
//     text/javascript or importScripts/import() fail);
//   - Cache-Control: no-store, so that every fresh browser measures a cold start.
//
//   import { startServer } from './server.mjs';  const s = await startServer({ port: 0 }); s.url; await s.close();
//   node tools/bench-web/server.mjs [--port 8090]        (manual use: open <url>/tools/bench-web/index.html)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// URL prefixes that may be served; everything else is 404.
const ALLOWED_PREFIXES = [
  '/tools/bench-web/',
  '/build/wasm-dist/',
  '/node_modules/onnxruntime-web/dist/',
  '/models/cache/',
  '/models/mnist/',
];

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.npy': 'application/octet-stream',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const COMMON_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

function send(res, status, body, type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

// Maps a request path to a file under ROOT, or null when it is outside the allowed trees.
function resolvePath(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const normal = path.posix.normalize(decoded);
  if (!ALLOWED_PREFIXES.some((p) => normal.startsWith(p))) return null;
  const file = path.join(ROOT, normal);
  if (!file.startsWith(ROOT + path.sep)) return null;
  return file;
}

function handle(req, res, log) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
  const url = new URL(req.url, 'http://127.0.0.1');
  let urlPath = url.pathname;
  if (urlPath === '/' || urlPath === '/index.html') urlPath = '/tools/bench-web/index.html';
  const file = resolvePath(urlPath);
  if (!file) return send(res, 404, `not found: ${urlPath}\n`);
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) {
      if (log) log(`404 ${urlPath}`);
      return send(res, 404, `not found: ${urlPath}\n`);
    }
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream';
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': st.size });
    if (req.method === 'HEAD') return res.end();
    const stream = fs.createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });
}

// Starts the server on 127.0.0.1:<port> (0 = any free port). Resolves to {url, port, close()}.
export function startServer({ port = 0, log = null } = {}) {
  return new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => handle(req, res, log));
    server.keepAliveTimeout = 1000;
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const actual = server.address().port;
      resolve({
        port: actual,
        url: `http://127.0.0.1:${actual}`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--port');
  const port = i > 0 ? Number(process.argv[i + 1]) : 8090;
  const s = await startServer({ port, log: (m) => console.error(m) });
  console.log(`serving ${ROOT} (bench trees only) at ${s.url}/tools/bench-web/index.html`);
}
