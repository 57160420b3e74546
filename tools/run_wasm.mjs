// node tools/run_wasm.mjs MODEL.onnx GOLDEN_DIR [variant]: runs the model in the WebAssembly build under
// Node on the golden inputs and compares with the onnxruntime-node outputs.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { readNpy } from './npy.mjs';

const [modelFile, golden, variant = 'simd-threads'] = process.argv.slice(2);
const dist = path.resolve('build/wasm-dist', variant);
const require = createRequire(import.meta.url);
const factory = require(path.join(dist, 'edgeinfer.js'));
const mod = await factory({ wasmBinary: fs.readFileSync(path.join(dist, 'edgeinfer.wasm')) });
const manifest = JSON.parse(fs.readFileSync(path.join(golden, 'manifest.json'), 'utf8'));
const c = manifest.cases[0];
const threads = variant === 'simd-threads' ? 2 : 1;
let t0 = performance.now();
const session = mod.Session.create(new Uint8Array(fs.readFileSync(modelFile)), { threads });
if (session.code) throw new Error(`${session.code}: ${session.message}`);
const createMs = performance.now() - t0;
const feeds = {};
for (const [name, file] of Object.entries(c.inputs)) feeds[name] = readNpy(path.join(golden, file));
t0 = performance.now();
const outs = session.run(feeds);
if (outs.code) throw new Error(`${outs.code}: ${outs.message}`);
const runMs = performance.now() - t0;
let worst = 0;
for (const o of outs) {
  const want = readNpy(path.join(golden, c.outputs[o.name]));
  for (let i = 0; i < want.data.length; ++i) worst = Math.max(worst, Math.abs(Number(o.data[i]) - Number(want.data[i])));
}
console.log(`wasm ${variant}, ${threads} thread(s): session ${createMs.toFixed(1)} ms, first run ${runMs.toFixed(1)} ms, ` +
  `max abs diff vs onnxruntime-node ${worst.toExponential(2)}`);
session.release();
if (mod.PThread?.terminateAllThreads) mod.PThread.terminateAllThreads();
process.exit(0);
