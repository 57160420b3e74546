// MNIST accuracy of the fp32 model and of an int8 model on the 2000 held-out digits (models/mnist/
// mnist_data.mjs), in our runtime (the native CLI, the whole set as one batch) and in onnxruntime-node:
//
//   node tools/int8/eval_mnist.mjs [--fp32 models/mnist/mnist_cnn.onnx] [--int8 MODEL.onnx] [--threads 1]
//                                  [--json FILE]
//
// Prints accuracy per model and runtime, the int8 drop in points (fp32 - int8, ours and ORT's), the
// predictions on which the two runtimes disagree, and max |ours - ORT| of the logits.
import fs from 'node:fs';
import path from 'node:path';
import { heldOut } from '../../models/mnist/mnist_data.mjs';
import { ROOT, runCli, runOrt, argmaxRows, maxAbsDiff, parseFlags } from './lib.mjs';

const USAGE = 'usage: node tools/int8/eval_mnist.mjs [--fp32 MODEL] [--int8 MODEL] [--threads N] [--json FILE]';

export async function evalModel(model, data, { threads = 1 } = {}) {
  const ours = runCli(model, { input: data.x }, { threads }).logits;
  const theirs = (await runOrt(model, { input: data.x })).logits;
  if (!ours || !theirs) throw new Error(`${model}: no 'logits' output`);
  const po = argmaxRows(ours);
  const pt = argmaxRows(theirs);
  let co = 0, ct = 0, disagree = 0;
  for (let i = 0; i < data.labels.length; ++i) {
    co += po[i] === data.labels[i];
    ct += pt[i] === data.labels[i];
    disagree += po[i] !== pt[i];
  }
  const n = data.labels.length;
  return { model: path.relative(ROOT, model), n, ours: co / n, ort: ct / n, disagree, maxAbsDiffLogits: maxAbsDiff(ours, theirs), logits: { ours, theirs } };
}

async function main() {
  const o = parseFlags(process.argv.slice(2), { fp32: path.join(ROOT, 'models/mnist/mnist_cnn.onnx'), int8: '', threads: 1, json: '' }, USAGE);
  const data = heldOut();
  const pct = (v) => (100 * v).toFixed(2) + '%';
  const rows = [];
  for (const [kind, model] of [['fp32', o.fp32], ['int8', o.int8]]) {
    if (!model) continue;
    if (!fs.existsSync(model)) throw new Error(`${model} not found`);
    const r = await evalModel(path.resolve(model), data, { threads: o.threads });
    rows.push({ kind, ...r });
    console.log(`${kind} ${r.model}: accuracy ours ${pct(r.ours)}, onnxruntime-node ${pct(r.ort)} on ${r.n} held-out digits; ` +
      `${r.disagree} prediction(s) differ between the runtimes; max |ours - ORT| logits ${r.maxAbsDiffLogits.toExponential(2)}`);
  }
  const f = rows.find((r) => r.kind === 'fp32');
  const q = rows.find((r) => r.kind === 'int8');
  let drop = null;
  if (f && q) {
    drop = { ours: 100 * (f.ours - q.ours), ort: 100 * (f.ort - q.ort) };
    console.log(`int8 accuracy drop (fp32 - int8): ours ${drop.ours.toFixed(2)} points, onnxruntime-node ${drop.ort.toFixed(2)} points`);
  }
  if (o.json) {
    fs.writeFileSync(o.json, JSON.stringify({ results: rows.map(({ logits, ...r }) => r), drop }, null, 1) + '\n');
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main().catch((e) => { console.error(`eval_mnist.mjs: ${e.message || e}`); process.exit(1); });
}
