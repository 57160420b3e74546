// `edgeinfer quantize` output runs in onnxruntime-node 1.30: small models built here and the golden test
// models are quantized in every format by the native CLI, then run by onnxruntime-node and by our
// runtime (`edgeinfer run`) on the same inputs.
//   node --test tests/quantize/          (needs build/native/tools/edgeinfer; models/test for the golden models)
// Agreement: onnxruntime with graph optimizations disabled runs the file as written, so it must agree
// with our runtime far more closely than quantization moved the output from fp32 (relative L2 at most
// half of our quantization error); a single quantized layer whose output is dequantized (QOperator)
// must match within one quantization step of that output (the smallest gap between its distinct
// values). onnxruntime with its default optimizations (QDQ groups fused into integer kernels) must
// stay within 2x our error + 0.02 of fp32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { readNpy } from '../../tools/npy.mjs';
import { Pb, buildModel, rng } from '../js/onnx-writer.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'build/native/tools/edgeinfer');
const haveCli = fs.existsSync(CLI);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgeinfer-quantize-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const NPY_DESCR = { float32: '<f4', int64: '<i8' };
function writeNpy(file, dtype, dims, data) {
  let header = `{'descr': '${NPY_DESCR[dtype]}', 'fortran_order': False, 'shape': (${dims.join(', ')}${dims.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((header.length + 10) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

const sanitize = (name) => { let s = name.replace(/[^A-Za-z0-9._-]/g, '_'); if (!s || s[0] === '.') s = '_' + s; return s; };
const attrInts = (name, v) => { const a = new Pb().str(1, name); for (const x of v) a.int(8, x); return a.int(20, 7); };
const attrInt = (name, v) => new Pb().str(1, name).int(3, v).int(20, 2);
function randomF32(n, seed, lo = -1, hi = 1) { const r = rng(seed); return Float32Array.from({ length: n }, () => lo + (hi - lo) * r()); }

// Calibration folder DIR/<i>/<input>.npy from input specs [[name, dtype, dims, lo, hi]].
function makeCalibration(dir, specs, samples, seed) {
  for (let i = 0; i < samples; i++) {
    fs.mkdirSync(path.join(dir, String(i)), { recursive: true });
    for (const [name, dtype, dims, lo, hi] of specs) {
      const n = dims.reduce((a, b) => a * b, 1);
      const r = rng(seed + 17 * i);
      const data = dtype === 'int64' ? BigInt64Array.from({ length: n }, () => BigInt(Math.floor(lo + (hi - lo + 1) * r())))
        : Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
      writeNpy(path.join(dir, String(i), `${sanitize(name)}.npy`), dtype, dims, data);
    }
  }
}

const cli = (args) => execFileSync(CLI, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// Outputs of our runtime (edgeinfer run) and of onnxruntime-node for one sample folder.
async function runBoth(model, sampleDir, specs) {
  const out = path.join(tmp, `out-${Math.random().toString(36).slice(2)}`);
  const inputs = specs.map(([name]) => `${name}=${path.join(sampleDir, sanitize(name) + '.npy')}`);
  const runArgs = ['run', model, ...inputs.flatMap((i) => ['--input', i])];
  cli([...runArgs, '--output-dir', out]);
  // Our runtime with the QDQ rewrite off runs the file as written, like onnxruntime unoptimized.
  cli([...runArgs, '--no-qdq-rewrite', '--output-dir', out + '-as-written']);
  const session = await ort.InferenceSession.create(model);
  const plain = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled' });
  const feeds = {};
  for (const [name] of specs) {
    const t = readNpy(path.join(sampleDir, sanitize(name) + '.npy'));
    feeds[name] = new ort.Tensor(t.dtype, t.data, t.dims);
  }
  const theirs = await session.run(feeds);
  const asWritten = await plain.run(feeds);
  const ours = {};
  const oursAsWritten = {};
  for (const name of session.outputNames) {
    ours[name] = readNpy(path.join(out, sanitize(name) + '.npy'));
    oursAsWritten[name] = readNpy(path.join(out + '-as-written', sanitize(name) + '.npy'));
  }
  return { ours, oursAsWritten, theirs, asWritten, names: session.outputNames };
}

function relL2(a, b) {
  let e = 0, n = 0;
  for (let i = 0; i < b.length; i++) { e += (Number(a[i]) - Number(b[i])) ** 2; n += Number(b[i]) ** 2; }
  return Math.sqrt(e / Math.max(n, 1e-30));
}
function maxAbs(a, b) { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m; }
function smallestStep(a) {
  const u = [...new Set(a)].sort((x, y) => x - y);
  let s = Infinity;
  for (let i = 1; i < u.length; i++) s = Math.min(s, u[i] - u[i - 1]);
  return s;
}

const MODES = [
  ['qdq', ['--format', 'qdq']],
  ['qdq per-channel', ['--format', 'qdq', '--per-channel']],
  ['qdq per-channel int8 activations, entropy', ['--format', 'qdq', '--per-channel', '--activations', 'int8', '--method', 'entropy']],
  ['qoperator', ['--format', 'qoperator']],
  ['qoperator per-channel', ['--format', 'qoperator', '--per-channel']],
  ['qoperator per-channel int8 activations, percentile', ['--format', 'qoperator', '--per-channel', '--activations', 'int8', '--method', 'percentile']],
  ['dynamic', ['--dynamic']],
  ['dynamic per-channel', ['--dynamic', '--per-channel']],
];

// Conv (+bias) alone, and MatMul + bias Add, and a small CNN chain.
function smallModels() {
  const conv = buildModel({
    opset: 13,
    nodes: [['Conv', ['x', 'w', 'b'], ['y'], 'conv', [attrInts('pads', [1, 1, 1, 1])]]],
    inits: [['w', 'float32', [8, 3, 3, 3], randomF32(216, 1, -0.5, 0.5)], ['b', 'float32', [8], randomF32(8, 2, -0.2, 0.2)]],
    inputs: [['x', 'float32', [1, 3, 10, 10]]], outputs: [['y', 'float32', [1, 8, 10, 10]]],
  });
  const mlp = buildModel({
    opset: 13,
    nodes: [['MatMul', ['x', 'w1'], ['h'], 'mm1'], ['Add', ['h', 'b1'], ['a'], 'add1'], ['Relu', ['a'], ['r'], 'relu'],
      ['Gemm', ['r', 'w2', 'b2'], ['y'], 'gemm', [attrInt('transB', 1)]]],
    inits: [['w1', 'float32', [32, 64], randomF32(2048, 3)], ['b1', 'float32', [64], randomF32(64, 4)],
      ['w2', 'float32', [10, 64], randomF32(640, 5)], ['b2', 'float32', [10], randomF32(10, 6)]],
    inputs: [['x', 'float32', [4, 32]]], outputs: [['y', 'float32', [4, 10]]],
  });
  const cnn = buildModel({
    opset: 13,
    nodes: [['Conv', ['x', 'w1', 'b1'], ['c1'], 'conv1', [attrInts('pads', [1, 1, 1, 1])]], ['Relu', ['c1'], ['r1'], 'relu1'],
      ['MaxPool', ['r1'], ['p1'], 'pool', [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])]],
      ['Conv', ['p1', 'w2', 'b2'], ['c2'], 'conv2', [attrInts('pads', [1, 1, 1, 1])]], ['Add', ['c2', 'p1'], ['a2'], 'add'],
      ['Sigmoid', ['a2'], ['s2'], 'sigmoid'], ['Concat', ['s2', 'c2'], ['cat'], 'concat', [attrInt('axis', 1)]],
      ['GlobalAveragePool', ['cat'], ['gap'], 'gap'], ['Flatten', ['gap'], ['flat'], 'flatten'], ['MatMul', ['flat', 'wf'], ['y'], 'fc']],
    inits: [['w1', 'float32', [8, 3, 3, 3], randomF32(216, 7, -0.4, 0.4)], ['b1', 'float32', [8], randomF32(8, 8, -0.1, 0.1)],
      ['w2', 'float32', [8, 8, 3, 3], randomF32(576, 9, -0.2, 0.2)], ['b2', 'float32', [8], randomF32(8, 10, -0.1, 0.1)],
      ['wf', 'float32', [16, 5], randomF32(80, 11)]],
    inputs: [['x', 'float32', [1, 3, 12, 12]]], outputs: [['y', 'float32', [1, 5]]],
  });
  return [
    { name: 'conv', bytes: conv, specs: [['x', 'float32', [1, 3, 10, 10], 0, 1]], singleLayer: true, noMatMul: true },
    { name: 'mlp', bytes: mlp, specs: [['x', 'float32', [4, 32], -1, 1]] },
    { name: 'cnn', bytes: cnn, specs: [['x', 'float32', [1, 3, 12, 12], 0, 1]] },
  ];
}

function goldenModels() {
  const list = [];
  const cnn = path.join(ROOT, 'models/test/cnn_ops.onnx');
  if (fs.existsSync(cnn)) list.push({ name: 'cnn_ops', file: cnn, specs: [['image', 'float32', [1, 3, 16, 16], 0, 1]] });
  const tb = path.join(ROOT, 'models/test/transformer_block.onnx');
  if (fs.existsSync(tb)) list.push({ name: 'transformer_block', file: tb, specs: [['input_ids', 'int64', [2, 7], 0, 39]] });
  return list;
}

for (const m of [...smallModels(), ...goldenModels()]) {
  test(`quantize ${m.name}: every format runs in onnxruntime-node and agrees with our runtime`, { skip: !haveCli && 'build/native/tools/edgeinfer not built' }, async () => {
    const dir = path.join(tmp, m.name);
    fs.mkdirSync(dir, { recursive: true });
    const fp32 = m.file ?? path.join(dir, 'fp32.onnx');
    if (!m.file) fs.writeFileSync(fp32, m.bytes);
    makeCalibration(path.join(dir, 'calib'), m.specs, 4, 1000);
    const sample = path.join(dir, 'calib', '0');
    const ref = await runBoth(fp32, sample, m.specs);
    for (const [label, flags] of MODES) {
      const q = path.join(dir, `${label.replace(/[^a-z0-9]+/g, '_')}.onnx`);
      if (flags.includes('--dynamic') && m.noMatMul) continue;
      const log = cli(['quantize', fp32, q, '--calibration', path.join(dir, 'calib'), ...flags]);
      assert.match(log, /quantized: +[1-9]\d* node/, `${label}: nothing quantized\n${log}`);
      const { ours, oursAsWritten, theirs, asWritten, names } = await runBoth(q, sample, m.specs);
      for (const name of names) {
        const a = ours[name].data, b = theirs[name].data, f = ref.theirs[name].data;
        assert.deepEqual(ours[name].dims, [...theirs[name].dims], `${label} ${name}: shapes differ`);
        if (theirs[name].type !== 'float32') { assert.deepEqual([...a], [...b], `${label} ${name}`); continue; }
        const errOurs = relL2(a, ref.ours[name].data), errOrt = relL2(b, f);
        const c = asWritten[name].data;
        console.log(`${m.name} ${label} ${name}: relative L2 vs fp32 ours ${errOurs.toExponential(3)} onnxruntime ${errOrt.toExponential(3)}, ours vs ort ${relL2(a, b).toExponential(3)}, vs ort unoptimized ${relL2(a, c).toExponential(3)} max ${maxAbs(a, c).toExponential(3)}`);
        if (m.singleLayer && flags.includes('qoperator')) {
          const step = smallestStep(a);
          assert.ok(maxAbs(a, b) <= step * 1.001, `${label} ${name}: max |ours - ort| ${maxAbs(a, b)} > one step ${step}`);
        }
        // onnxruntime without graph optimizations runs the file as written (QDQ: dequantize, float op,
        // quantize), as we do with the QDQ rewrite off: the two must agree far more closely than
        // quantization moved the output.
        const w = oursAsWritten[name].data;
        assert.ok(relL2(w, c) <= 0.5 * errOurs + 1e-6,
          `${label} ${name}: ours as written vs onnxruntime (unoptimized) ${relL2(w, c)} against quantization error ${errOurs}`);
        // With the rewrite our QDQ groups run as integer operators that requantize intermediate results
        // (one more rounding per group), like onnxruntime's fused graph: still closer to one of
        // onnxruntime's two forms than quantization moved the output.
        const nearest = Math.min(relL2(a, b), relL2(a, c));
        assert.ok(nearest <= errOurs + 1e-6,
          `${label} ${name}: ours vs onnxruntime ${nearest} against quantization error ${errOurs}`);
        // With its optimizations onnxruntime fuses QDQ groups into integer kernels that requantize
        // intermediate results (one more rounding per fused node, ~1/255 of a range each).
        assert.ok(errOrt <= 2 * errOurs + 0.02, `${label} ${name}: onnxruntime's error vs fp32 ${errOrt}, ours ${errOurs}`);
      }
    }
  });
}

// PP-OCRv4 det (models/cache, from models/fetch.sh): quantized in QDQ per-channel form from a handful of
// synthetic text pages (tests/quantize/image_like.mjs); both runtimes load and run the result and agree.
const PPOCR = path.join(ROOT, 'models/cache/ppocr_det.onnx');
test('quantize ppocr_det (QDQ per-channel, 3 synthetic text pages): loads and runs in both runtimes', {
  skip: (!haveCli && 'build/native/tools/edgeinfer not built') || (!fs.existsSync(PPOCR) && 'models/cache/ppocr_det.onnx missing'),
}, async () => {
  const { textPage } = await import('./image_like.mjs');
  const dir = path.join(tmp, 'ppocr');
  for (let i = 0; i < 3; i++) {
    fs.mkdirSync(path.join(dir, 'calib', String(i)), { recursive: true });
    writeNpy(path.join(dir, 'calib', String(i), 'x.npy'), 'float32', [1, 3, 640, 640], textPage(640, 640, 100 + i));
  }
  fs.mkdirSync(path.join(dir, 'check'), { recursive: true });
  writeNpy(path.join(dir, 'check', 'x.npy'), 'float32', [1, 3, 640, 640], textPage(640, 640, 999));
  const q = path.join(dir, 'ppocr_det.qdq.onnx');
  const t0 = Date.now();
  const log = cli(['quantize', PPOCR, q, '--calibration', path.join(dir, 'calib'), '--per-channel']);
  const seconds = (Date.now() - t0) / 1000;
  const before = fs.statSync(PPOCR).size, after = fs.statSync(q).size;
  console.log(`ppocr_det: ${before} B -> ${after} B (${(after / before).toFixed(3)}x) in ${seconds.toFixed(1)} s`);
  assert.ok(after < 0.4 * before, `quantized size ${after} B vs ${before} B\n${log}`);
  const ref = await runBoth(PPOCR, path.join(dir, 'check'), [['x']]);
  const { ours, theirs, asWritten, names } = await runBoth(q, path.join(dir, 'check'), [['x']]);
  for (const name of names) {
    const a = ours[name].data, b = theirs[name].data, c = asWritten[name].data, f = ref.theirs[name].data;
    assert.deepEqual(ours[name].dims, [1, 1, 640, 640]);
    const errOurs = relL2(a, f);
    // Text mask (probability > 0.3, PP-OCR's threshold) agreement with fp32 on an unseen page.
    let same = 0;
    for (let i = 0; i < f.length; i++) same += (a[i] > 0.3) === (f[i] > 0.3);
    console.log(`ppocr_det ${name}: relative L2 vs fp32 ours ${errOurs.toExponential(3)}, onnxruntime ${relL2(b, f).toExponential(3)}; ours vs onnxruntime unoptimized ${relL2(a, c).toExponential(3)}; text mask agreement ${(same / f.length).toFixed(4)}`);
    assert.ok(relL2(a, c) <= 0.5 * errOurs + 1e-6, `ours vs onnxruntime (unoptimized) ${relL2(a, c)}, quantization error ${errOurs}`);
    assert.ok(same / f.length > 0.95, `text mask agreement ${same / f.length}`);
  }
});
