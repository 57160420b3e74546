// Assembles dist/: the ES module sources (src/*.mjs), the TypeScript declarations, and the three wasm
// variants from the wasm build (tools/build_wasm.sh -> build/wasm-dist/<variant>/), renamed flat:
//   edgeinfer-<variant>.js        Emscripten glue, classic script / CommonJS (Node, pthread workers)
//   edgeinfer-<variant>.mjs       the same glue as an ES module (browsers import it)
//   edgeinfer-<variant>.wasm      edgeinfer-simd-threads.worker.js (pthread worker)
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
const VARIANTS = ['simd-threads', 'simd', 'baseline'];

function fail(msg) {
  console.error(`edgeinfer build: ${msg}`);
  process.exit(1);
}

for (const v of VARIANTS) {
  for (const f of ['edgeinfer.js', 'edgeinfer.wasm', ...(v === 'simd-threads' ? ['edgeinfer.worker.js'] : [])]) {
    if (!fs.existsSync(path.join(WASM_DIST, v, f))) fail(`${path.join(WASM_DIST, v, f)} missing: run tools/build_wasm.sh ${v}`);
  }
}

fs.rmSync(DIST, { recursive: true, force: true });
fs.mkdirSync(DIST, { recursive: true });

for (const f of fs.readdirSync(path.join(PKG, 'src'))) {
  if (f.endsWith('.mjs') || f.endsWith('.d.ts')) fs.copyFileSync(path.join(PKG, 'src', f), path.join(DIST, f));
}
// One declaration file serves both resolutions: .d.mts for ES module imports, .d.ts for the rest.
fs.copyFileSync(path.join(PKG, 'src', 'index.d.ts'), path.join(DIST, 'index.d.mts'));

let total = 0;
for (const v of VARIANTS) {
  const src = path.join(WASM_DIST, v);
  const base = `edgeinfer-${v}`;
  const glue = fs.readFileSync(path.join(src, 'edgeinfer.js'), 'utf8');
  if (!glue.includes('var createEdgeinfer')) fail(`${src}/edgeinfer.js is not the MODULARIZE glue (no createEdgeinfer)`);
  fs.writeFileSync(path.join(DIST, `${base}.js`), glue);
  // ES module form: the factory as default export. The CommonJS tail is inert there (no module/exports).
  fs.writeFileSync(path.join(DIST, `${base}.mjs`), `${glue}\nexport default createEdgeinfer;\n`);
  fs.copyFileSync(path.join(src, 'edgeinfer.wasm'), path.join(DIST, `${base}.wasm`));
  total += fs.statSync(path.join(DIST, `${base}.wasm`)).size;
  if (v === 'simd-threads') {
    fs.copyFileSync(path.join(src, 'edgeinfer.worker.js'), path.join(DIST, `${base}.worker.js`));
  }
}
console.log(`edgeinfer build: dist/ assembled from ${WASM_DIST} (${VARIANTS.length} variants, ${(total / 1048576).toFixed(2)} MiB of wasm)`);
