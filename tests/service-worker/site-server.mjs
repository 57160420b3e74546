// Test server for the offline delivery browser tests, run as a child process so a test can stop it
// by PID (the only way to take a service worker offline in both browsers). 127.0.0.1 only.
//   node site-server.mjs --root SITE --port P [--bundle NAME=DIR ...] [--tamper SHA] [--cut-after N]
// Serves SITE/ and each bundle DIR under /models/NAME/ (HTTP Range on chunks). Sends no COOP/COEP:
// cross-origin isolation must come from the service worker. Prints one JSON line per response
// ({path, status, bytes}) so the test counts what was sent; "listening PORT" first.
// --tamper flips a byte of that chunk; --cut-after N resets the connection of every chunk request
// after the first N (an install interrupted half-way).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (k) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
const root = path.resolve(opt('--root'));
const bundles = {};
args.forEach((a, i) => { if (a === '--bundle') { const [n, d] = args[i + 1].split('='); bundles[n] = path.resolve(d); } });
const tamper = opt('--tamper');
const cutAfter = opt('--cut-after') !== undefined ? Number(opt('--cut-after')) : Infinity;
let chunkRequests = 0;
const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json' };

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  let file;
  const m = /^\/models\/([^/]+)\/(.*)$/.exec(url.pathname);
  if (m && bundles[m[1]]) file = path.join(bundles[m[1]], m[2]);
  else file = path.join(root, url.pathname === '/' ? 'index.html' : url.pathname);
  const log = (status, bytes) => process.stdout.write(JSON.stringify({ path: url.pathname, status, bytes, range: req.headers.range || null }) + '\n');
  if (file.includes('..') || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }); res.end('not found'); log(404, 0); return;
  }
  let body = fs.readFileSync(file);
  const isChunk = url.pathname.includes('/chunks/');
  if (isChunk) {
    chunkRequests++;
    if (chunkRequests > cutAfter) { log(0, 0); req.socket.destroy(); return; }
    if (tamper && url.pathname.endsWith(tamper)) { body = Buffer.from(body); body[body.length >> 1] ^= 0x5a; }
  }
  const headers = { 'cache-control': 'no-store', 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'accept-ranges': 'bytes' };
  let status = 200;
  const r = /^bytes=(\d+)-$/.exec(req.headers.range || '');
  if (r && isChunk) {
    const start = Number(r[1]);
    headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    body = body.subarray(start);
    status = 206;
  }
  headers['content-length'] = body.length;
  res.writeHead(status, headers);
  res.end(body);
  log(status, body.length);
});
server.listen(Number(opt('--port') || 0), '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
