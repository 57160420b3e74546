// Assembles dist/: the ES module sources (src/*.mjs), the TypeScript declarations, and the three wasm
// variants from the wasm build (tools/build_wasm.sh -> build/wasm-dist/<variant>/), renamed flat:
//   edgeinfer-<variant>.js        Emscripten glue, classic script / CommonJS (Node, pthread workers)
//   edgeinfer-<variant>.mjs       the same glue as an ES module (browsers import it)
//   edgeinfer-<variant>.wasm      edgeinfer-<variant>.worker.js (pthread worker, the -threads variants)
//
//   node scripts/build.mjs [--wasm-dist DIR]      (default ../build/wasm-dist; env EDGEINFER_WASM_DIST)
// Every variant must be built: a package without one of them would fail on the browsers that pick it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PKG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--wasm-dist');
const WASM_DIST = path.resolve(at >= 0 ? args[at + 1] : process.env.EDGEINFER_WASM_DIST || path.join(PKG, '..', 'build', 'wasm-dist'));
const DIST = path.join(PKG, 'dist');
const VARIANTS = ['simd-threads', 'simd', 'baseline', 'relaxed-threads'];
const threaded = (v) => v.endsWith('-threads');

function fail(msg) {
  console.error(`edgeinfer build: ${msg}`);
  process.exit(1);
}

for (const v of VARIANTS) {
  for (const f of ['edgeinfer.js', 'edgeinfer.wasm', ...(threaded(v) ? ['edgeinfer.worker.js'] : [])]) {
    if (!fs.existsSync(path.join(WASM_DIST, v, f))) fail(`${path.join(WASM_DIST, v, f)} missing: run tools/build_wasm.sh ${v}`);
  }
}

// Files are replaced one by one through a rename, so a test reading dist/ while `npm pack` reassembles
// it never sees a half-written file; files no longer produced are removed at the end.
fs.mkdirSync(DIST, { recursive: true });
const written = new Set();
function put(name, data) {
  const tmp = path.join(DIST, `.${name}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, path.join(DIST, name));
  written.add(name);
}

for (const f of fs.readdirSync(path.join(PKG, 'src'))) {
  if (f.endsWith('.mjs') || f.endsWith('.d.ts')) put(f, fs.readFileSync(path.join(PKG, 'src', f)));
}
// One declaration file serves both resolutions: .d.mts for ES module imports, .d.ts for the rest.
put('index.d.mts', fs.readFileSync(path.join(PKG, 'src', 'index.d.ts')));

// The offline model store (service-worker/src, with idb and @noble/ed25519) as one ES module that
// session.mjs imports on demand for bundle manifests.
{
  const SW_SRC = path.join(PKG, '..', 'service-worker', 'src', 'index.mjs');
  const esbuild = await import('esbuild');
  const r = await esbuild.build({ entryPoints: [SW_SRC], bundle: true, format: 'esm', write: false,
    platform: 'neutral', target: 'es2020', legalComments: 'inline' });
  put('bundle-store.mjs', r.outputFiles[0].contents);
}

let total = 0;
for (const v of VARIANTS) {
  const src = path.join(WASM_DIST, v);
  const base = `edgeinfer-${v}`;
  const glue = fs.readFileSync(path.join(src, 'edgeinfer.js'), 'utf8');
  if (!glue.includes('var createEdgeinfer')) fail(`${src}/edgeinfer.js is not the MODULARIZE glue (no createEdgeinfer)`);
  put(`${base}.js`, glue);
  // ES module form: the factory as default export. The CommonJS tail is inert there (no module/exports).
  put(`${base}.mjs`, `${glue}\nexport default createEdgeinfer;\n`);
  const wasm = fs.readFileSync(path.join(src, 'edgeinfer.wasm'));
  put(`${base}.wasm`, wasm);
  total += wasm.length;
  if (threaded(v)) put(`${base}.worker.js`, fs.readFileSync(path.join(src, 'edgeinfer.worker.js')));
}
for (const f of fs.readdirSync(DIST)) if (!written.has(f)) fs.rmSync(path.join(DIST, f), { recursive: true, force: true });
console.log(`edgeinfer build: dist/ assembled from ${WASM_DIST} (${VARIANTS.length} variants, ${(total / 1048576).toFixed(2)} MiB of wasm)`);
