// Serves the example page on http://127.0.0.1:8080/ with cross-origin isolation (COOP/COEP, so the
// threaded variant can run):
//   node js-bindings/example/serve.mjs [--port 8080] [--no-isolation] [--models DIR]
// /dist/ is js-bindings/dist (assemble it with `node js-bindings/scripts/build.mjs`), /models/ is
// models/cache of the repository (models/fetch.sh) unless --models says otherwise.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const port = Number(opt('--port', 8080));
const DEFAULT_MODELS = path.join(HERE, '..', '..', 'models', 'cache');
const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript',
  '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.css': 'text/css' };

export function createServer({ isolated = true, models = DEFAULT_MODELS } = {}) {
  const roots = { '/dist/': path.resolve(HERE, '..', 'dist'), '/models/': path.resolve(models), '/': HERE };
  return http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const headers = { 'cache-control': 'no-cache' };
    if (isolated) {
      Object.assign(headers, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'same-origin' });
    }
    let pathname = decodeURIComponent(url.pathname);
    if (pathname === '/') pathname = '/index.html';
    const prefix = Object.keys(roots).find((p) => pathname.startsWith(p));
    const file = path.join(roots[prefix], pathname.slice(prefix.length));
    if (!file.startsWith(roots[prefix]) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, headers);
      res.end('not found');
      return;
    }
    const size = fs.statSync(file).size;
    res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'content-length': size });
    fs.createReadStream(file).pipe(res);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const isolated = !args.includes('--no-isolation');
  createServer({ isolated, models: opt('--models', DEFAULT_MODELS) }).listen(port, '127.0.0.1', () => {
    console.log(`edgeinfer example on http://127.0.0.1:${port}/ (${isolated ? 'cross-origin isolated' : 'not isolated'})`);
  });
}
