// node tools/compare_npy.mjs GOLDEN_DIR OUT_DIR: compares every golden output of the main case with
// OUT_DIR/<name>.npy and prints max abs / max rel differences and a summary of the output values.
import fs from 'node:fs';
import path from 'node:path';
import { readNpy } from './npy.mjs';

const [golden, outDir] = process.argv.slice(2);
const manifest = JSON.parse(fs.readFileSync(path.join(golden, 'manifest.json'), 'utf8'));
const { atol, rtol } = manifest.tolerance;
let ok = true;
for (const [name, file] of Object.entries(manifest.cases[0].outputs)) {
  const want = readNpy(path.join(golden, file));
  const got = readNpy(path.join(outDir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.npy`));
  let maxAbs = 0, maxRel = 0, bad = 0, sum = 0, above = 0;
  for (let i = 0; i < want.data.length; ++i) {
    const a = Number(got.data[i]), e = Number(want.data[i]);
    const d = Math.abs(a - e);
    maxAbs = Math.max(maxAbs, d);
    if (Math.abs(e) > 1e-6) maxRel = Math.max(maxRel, d / Math.abs(e));
    if (d > atol + rtol * Math.abs(e)) ++bad;
    sum += a;
    if (a > 0.3) ++above;
  }
  ok &&= bad === 0;
  console.log(`${name} [${got.dims}]: max abs diff ${maxAbs.toExponential(2)}, max rel diff ${maxRel.toExponential(2)}, ` +
    `${bad} outside atol ${atol} + rtol ${rtol}; mean ${(sum / want.data.length).toFixed(4)}, ` +
    `${(100 * above / want.data.length).toFixed(2)}% above 0.3`);
}
console.log(ok ? 'outputs match onnxruntime-node' : 'OUTPUTS DIFFER from onnxruntime-node');
process.exit(ok ? 0 : 1);
