// The int8 model pairs (tools/int8/models.json) with '<cache>' resolved and paths made absolute.
//   loadInt8Config(file?) -> {name: {fp32, int8, calibration, quantizeArgs, benchInputs: {input: file}}}
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, CACHE } from './lib.mjs';

export const DEFAULT_CONFIG = path.join(ROOT, 'tools', 'int8', 'models.json');

export function loadInt8Config(file = DEFAULT_CONFIG) {
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  const abs = (p) => path.resolve(ROOT, p.replace(/^<cache>/, CACHE));
  const out = {};
  for (const [name, m] of Object.entries(raw)) {
    if (name.startsWith('$')) continue;
    for (const k of ['fp32', 'int8', 'bench_inputs']) if (!m[k]) throw new Error(`${file}: ${name}: '${k}' is missing`);
    out[name] = {
      fp32: abs(m.fp32), int8: abs(m.int8), calibration: m.calibration ? abs(m.calibration) : null,
      quantizeArgs: m.quantize_args || [],
      benchInputs: Object.fromEntries(Object.entries(m.bench_inputs).map(([k, p]) => [k, abs(p)])),
    };
  }
  return out;
}

// `node tools/int8/config.mjs [CONFIG]`: one tab-separated line per pair (name, fp32, int8, calibration,
// quantize args joined by spaces), for tools/int8_report.sh.
if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const pairs = loadInt8Config(process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_CONFIG);
  for (const [name, p] of Object.entries(pairs)) {
    console.log([name, p.fp32, p.int8, p.calibration || '', p.quantizeArgs.join(' ')].join('\t'));
  }
}
