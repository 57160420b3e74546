// Agreement of an int8 model's outputs with the fp32 model's on a folder of samples (the layout of a
// calibration folder, DIR/<i>/<input>.npy), in our runtime (native CLI) or in onnxruntime-node:
//
//   node tools/int8/output_agreement.mjs --fp32 A.onnx --int8 B.onnx --samples DIR [--limit 4]
//        [--runtime ours|ort] [--json FILE]
//
// Per output, over the samples: mean |fp32 - int8|, max |fp32 - int8|, relative L2 error
// ||fp32 - int8|| / ||fp32|| and cosine similarity. For models without a task metric (the transformer
// encoder). Samples used for calibration flatter the int8 model; pass other samples where they exist.
import fs from 'node:fs';
import path from 'node:path';
import { runCli, runOrt, parseFlags } from './lib.mjs';

const USAGE = 'usage: node tools/int8/output_agreement.mjs --fp32 MODEL --int8 MODEL --samples DIR [--limit N] [--runtime ours|ort] [--json FILE]';

export async function outputAgreement({ fp32, int8, samples, limit = 4, runtime = 'ours' }) {
  const dirs = fs.readdirSync(samples).filter((d) => /^\d+$/.test(d) && fs.statSync(path.join(samples, d)).isDirectory())
    .sort((a, b) => a - b).slice(0, limit);
  if (!dirs.length) throw new Error(`${samples}: no sample folders (<i>/<input>.npy)`);
  const run = (model, feeds) => (runtime === 'ort' ? runOrt(model, feeds) : runCli(model, feeds));
  const acc = {};
  for (const d of dirs) {
    const feeds = {};
    for (const f of fs.readdirSync(path.join(samples, d))) if (f.endsWith('.npy')) feeds[f.slice(0, -4)] = path.join(samples, d, f);
    const a = await run(fp32, feeds);
    const b = await run(int8, feeds);
    for (const [name, t] of Object.entries(a)) {
      const u = b[name];
      if (!u) throw new Error(`${int8}: no output '${name}'`);
      const s = (acc[name] ||= { n: 0, sumAbs: 0, maxAbs: 0, diff2: 0, ref2: 0, dot: 0, q2: 0 });
      for (let i = 0; i < t.data.length; ++i) {
        const x = Number(t.data[i]), y = Number(u.data[i]), dd = Math.abs(x - y);
        s.n++; s.sumAbs += dd; s.maxAbs = Math.max(s.maxAbs, dd); s.diff2 += dd * dd; s.ref2 += x * x; s.dot += x * y; s.q2 += y * y;
      }
    }
  }
  return Object.fromEntries(Object.entries(acc).map(([k, s]) => [k, {
    samples: dirs.length, meanAbsDiff: s.sumAbs / s.n, maxAbsDiff: s.maxAbs,
    relL2: Math.sqrt(s.diff2 / (s.ref2 || 1)), cosine: s.dot / (Math.sqrt(s.ref2 * s.q2) || 1),
  }]));
}

async function main() {
  const o = parseFlags(process.argv.slice(2), { fp32: '', int8: '', samples: '', limit: 4, runtime: 'ours', json: '' }, USAGE);
  if (!o.fp32 || !o.int8 || !o.samples || !['ours', 'ort'].includes(o.runtime)) { console.error(USAGE); process.exit(2); }
  const r = await outputAgreement({ ...o, fp32: path.resolve(o.fp32), int8: path.resolve(o.int8) });
  for (const [name, s] of Object.entries(r)) {
    console.log(`${name} (${o.runtime}, ${s.samples} samples): int8 vs fp32 mean |d| ${s.meanAbsDiff.toExponential(2)}, ` +
      `max |d| ${s.maxAbsDiff.toExponential(2)}, relative L2 ${s.relL2.toExponential(2)}, cosine ${s.cosine.toFixed(5)}`);
  }
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(r, null, 1) + '\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main().catch((e) => { console.error(`output_agreement.mjs: ${e.message || e}`); process.exit(1); });
}
