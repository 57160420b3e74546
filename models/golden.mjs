// Builds fixed, deterministic inputs for every real model (models/cache/*.onnx, see fetch.sh) and every
// small test model (models/test/*.onnx with its NAME.inputs.json), runs onnxruntime-node on them and
// writes the reference outputs the golden test compares against:
//
//   models/cache/golden/<model>/manifest.json
//   models/cache/golden/<model>/inputs/<name>.npy   outputs/<name>.npy       (case "main")
//   models/cache/golden/<model>/cases/<case>/inputs|outputs/<name>.npy      (further cases: other shapes)
//
// Usage: node models/golden.mjs [--only name,name]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CACHE = path.join(HERE, 'cache');
const GOLDEN = path.join(CACHE, 'golden');
const TEST_MODELS = path.join(HERE, 'test');

// Stated tolerance for float outputs: |actual - expected| <= atol + rtol * |expected| per element.
// Integer and bool outputs must match exactly.
const TOLERANCE = { atol: 1e-4, rtol: 1e-3 };

// ---------------------------------------------------------------- deterministic random numbers
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function seedOf(str) {
  let h = 2166136261;
  for (const c of str) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

// ---------------------------------------------------------------- .npy writer (v1, little-endian, C order)
const DESCR = { float32: '<f4', float64: '<f8', int64: '<i8', int32: '<i4', int16: '<i2', int8: '|i1',
                uint8: '|u1', uint16: '<u2', uint32: '<u4', uint64: '<u8', bool: '|b1' };
function npyBytes(type, dims, data) {
  const descr = DESCR[type];
  if (!descr) throw new Error(`cannot write dtype ${type} as .npy`);
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(pre);
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}
// File names: the tensor name with anything outside [A-Za-z0-9._-] replaced by '_', and a leading '_'
// when it is empty or starts with '.' (same rule as the CLI).
export function sanitize(name) {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return s === '' || s.startsWith('.') ? `_${s}` : s;  // no hidden files, no "." or ".."
}

// ---------------------------------------------------------------- synthetic real-world inputs
// A tiny stroke font on a unit box (x right, y down): enough glyphs to write lines of "text".
const GLYPHS = {
  E: [[0, 0, 0, 1], [0, 0, 1, 0], [0, 0.5, 0.8, 0.5], [0, 1, 1, 1]],
  D: [[0, 0, 0, 1], [0, 0, 0.7, 0], [0.7, 0, 1, 0.3], [1, 0.3, 1, 0.7], [1, 0.7, 0.7, 1], [0.7, 1, 0, 1]],
  G: [[1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 1, 1], [1, 1, 1, 0.5], [1, 0.5, 0.5, 0.5]],
  I: [[0.5, 0, 0.5, 1], [0.2, 0, 0.8, 0], [0.2, 1, 0.8, 1]],
  N: [[0, 1, 0, 0], [0, 0, 1, 1], [1, 1, 1, 0]],
  F: [[0, 0, 0, 1], [0, 0, 1, 0], [0, 0.5, 0.7, 0.5]],
  R: [[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 1, 0.5], [1, 0.5, 0, 0.5], [0.3, 0.5, 1, 1]],
  O: [[0, 0, 1, 0], [1, 0, 1, 1], [1, 1, 0, 1], [0, 1, 0, 0]],
  C: [[1, 0, 0, 0], [0, 0, 0, 1], [0, 1, 1, 1]],
  T: [[0, 0, 1, 0], [0.5, 0, 0.5, 1]],
  A: [[0, 1, 0.5, 0], [0.5, 0, 1, 1], [0.25, 0.5, 0.75, 0.5]],
  M: [[0, 1, 0, 0], [0, 0, 0.5, 0.6], [0.5, 0.6, 1, 0], [1, 0, 1, 1]],
  W: [[0, 0, 0.25, 1], [0.25, 1, 0.5, 0.4], [0.5, 0.4, 0.75, 1], [0.75, 1, 1, 0]],
  S: [[1, 0, 0, 0], [0, 0, 0, 0.5], [0, 0.5, 1, 0.5], [1, 0.5, 1, 1], [1, 1, 0, 1]],
  1: [[0.3, 0.2, 0.6, 0], [0.6, 0, 0.6, 1]],
  2: [[0, 0, 1, 0], [1, 0, 1, 0.5], [1, 0.5, 0, 0.5], [0, 0.5, 0, 1], [0, 1, 1, 1]],
  3: [[0, 0, 1, 0], [1, 0, 1, 1], [0, 0.5, 1, 0.5], [0, 1, 1, 1]],
  4: [[0, 0, 0, 0.5], [0, 0.5, 1, 0.5], [1, 0, 1, 1]],
  5: [[1, 0, 0, 0], [0, 0, 0, 0.5], [0, 0.5, 1, 0.5], [1, 0.5, 1, 1], [1, 1, 0, 1]],
  7: [[0, 0, 1, 0], [1, 0, 0.4, 1]],
  8: [[0, 0, 1, 0], [1, 0, 1, 1], [1, 1, 0, 1], [0, 1, 0, 0], [0, 0.5, 1, 0.5]],
};

class Canvas {
  constructor(h, w, rand) {
    this.h = h; this.w = w;
    // RGB in [0,1]: paper white with slight noise
    this.px = new Float32Array(3 * h * w);
    for (let i = 0; i < this.px.length; ++i) this.px[i] = 0.93 + 0.05 * rand();
  }
  // Anti-aliased thick segment in colour `rgb`.
  line(x0, y0, x1, y1, thick, rgb) {
    const r = thick / 2 + 1;
    const xa = Math.max(0, Math.floor(Math.min(x0, x1) - r)), xb = Math.min(this.w - 1, Math.ceil(Math.max(x0, x1) + r));
    const ya = Math.max(0, Math.floor(Math.min(y0, y1) - r)), yb = Math.min(this.h - 1, Math.ceil(Math.max(y0, y1) + r));
    const dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy || 1e-9;
    for (let y = ya; y <= yb; ++y) {
      for (let x = xa; x <= xb; ++x) {
        const t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / len2));
        const d = Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy));
        const cover = Math.max(0, Math.min(1, thick / 2 + 0.5 - d));
        if (cover <= 0) continue;
        for (let c = 0; c < 3; ++c) {
          const i = (c * this.h + y) * this.w + x;
          this.px[i] = this.px[i] * (1 - cover) + rgb[c] * cover;
        }
      }
    }
  }
  text(str, x, y, size, rgb) {
    const gw = size * 0.6, thick = Math.max(1, size / 9);
    for (const ch of str) {
      for (const [ax, ay, bx, by] of GLYPHS[ch] || []) {
        this.line(x + ax * gw, y + ay * size, x + bx * gw, y + by * size, thick, rgb);
      }
      x += gw * 1.5;
    }
  }
  // NCHW float32, normalised per channel: (v - mean) / std.
  tensor(mean, std) {
    const out = new Float32Array(this.px.length);
    const plane = this.h * this.w;
    for (let c = 0; c < 3; ++c) {
      for (let i = 0; i < plane; ++i) out[c * plane + i] = (this.px[c * plane + i] - mean[c]) / std[c];
    }
    return new ort.Tensor('float32', out, [1, 3, this.h, this.w]);
  }
}

const WORDS = ['EDGE', 'INFER', 'ONNX', 'RECOGNITION', 'DETECT', '2024', 'WASM', 'SIMD', '1357', 'TEXT', 'MODEL', 'FAST'];

// PaddleOCR det preprocessing: RGB/255, ImageNet mean/std.
function ocrDetInput(h, w, seed) {
  const rand = mulberry32(seed);
  const cv = new Canvas(h, w, rand);
  let y = 0.06 * h;
  while (y < h * 0.9) {
    const size = 14 + Math.floor(rand() * 28);
    let x = 0.04 * w + rand() * 0.2 * w;
    const rgb = [0.1 * rand(), 0.1 * rand(), 0.2 * rand()];
    while (x < w * 0.85) {
      const word = WORDS[Math.floor(rand() * WORDS.length)];
      cv.text(word, x, y, size, rgb);
      x += word.length * size * 0.9 + size;
    }
    y += size * (1.8 + rand());
  }
  return cv.tensor([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
}

// PaddleOCR rec preprocessing: a 48-pixel-high text line, (v - 0.5) / 0.5.
function ocrRecInput(w, text, seed) {
  const rand = mulberry32(seed);
  const cv = new Canvas(48, w, rand);
  cv.text(text, 6, 10, 28, [0.05, 0.05, 0.05]);
  return cv.tensor([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
}

// Speech-like audio at 16 kHz in int16 range, the scale openWakeWord's Python pipeline feeds the
// melspectrogram model: voiced harmonics with a moving pitch, an amplitude envelope, and noise.
function audio(samples, seed) {
  const rand = mulberry32(seed);
  const out = new Float32Array(samples);
  let phase = 0;
  for (let i = 0; i < samples; ++i) {
    const t = i / 16000;
    const f0 = 140 + 40 * Math.sin(2 * Math.PI * 1.3 * t);
    phase += (2 * Math.PI * f0) / 16000;
    let v = 0;
    for (let k = 1; k <= 6; ++k) v += Math.sin(k * phase) / k;
    const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t);
    const s = 6000 * env * v + 300 * (rand() * 2 - 1);
    out[i] = Math.max(-32768, Math.min(32767, Math.round(s)));
  }
  return out;
}

async function session(file) {
  return ort.InferenceSession.create(file, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // Unfused reference arithmetic: no approximate fused kernels in the golden values.
    graphOptimizationLevel: 'disabled',
  });
}

// openWakeWord feature pipeline: audio -> melspectrogram -> (x / 10 + 2) frames of 32 mel bins.
async function melFrames(samples, seed) {
  const mel = await session(path.join(CACHE, 'melspectrogram.onnx'));
  const out = await mel.run({ [mel.inputNames[0]]: new ort.Tensor('float32', audio(samples, seed), [1, samples]) });
  const data = out[mel.outputNames[0]].data;
  const frames = data.length / 32;
  const f = new Float32Array(data.length);
  for (let i = 0; i < data.length; ++i) f[i] = data[i] / 10 + 2;
  return { frames, data: f };
}
function melWindows(mel, count, step) {
  const out = new Float32Array(count * 76 * 32);
  for (let k = 0; k < count; ++k) out.set(mel.data.subarray(k * step * 32, (k * step + 76) * 32), k * 76 * 32);
  return new ort.Tensor('float32', out, [count, 76, 32, 1]);
}

// ---------------------------------------------------------------- model definitions
// Each: name, model file, cases: { caseName: async () => ({ inputName: ort.Tensor }) }, note.
async function realModels() {
  const list = [];
  list.push({
    name: 'ppocr_det', file: path.join(CACHE, 'ppocr_det.onnx'),
    note: 'PP-OCRv4 det; synthetic page of stroke-font text, ImageNet-normalised',
    cases: { main: async () => ({ x: ocrDetInput(640, 640, 11) }), shape2: async () => ({ x: ocrDetInput(320, 480, 12) }) },
  });
  list.push({
    name: 'ppocr_rec', file: path.join(CACHE, 'ppocr_rec.onnx'),
    note: 'PP-OCRv4 rec; one synthetic text line, (v-0.5)/0.5',
    cases: { main: async () => ({ x: ocrRecInput(320, 'EDGE INFER 2024', 21) }),
             shape2: async () => ({ x: ocrRecInput(160, 'ONNX 1357', 22) }) },
  });
  list.push({
    name: 'melspectrogram', file: path.join(CACHE, 'melspectrogram.onnx'),
    note: 'openWakeWord melspectrogram; 1280-sample (80 ms) frame of int16-range audio',
    cases: { main: async () => ({ input: new ort.Tensor('float32', audio(1280, 31), [1, 1280]) }),
             shape2: async () => ({ input: new ort.Tensor('float32', audio(16000, 32), [1, 16000]) }) },
  });
  list.push({
    name: 'embedding_model', file: path.join(CACHE, 'embedding_model.onnx'),
    note: 'openWakeWord embedding; 76-frame windows of real melspectrogram output (x/10+2)',
    cases: { main: async () => ({ input_1: melWindows(await melFrames(12800, 41), 1, 8) }),
             shape2: async () => ({ input_1: melWindows(await melFrames(16000, 42), 3, 8) }) },
  });
  list.push({
    name: 'hey_jarvis', file: path.join(CACHE, 'hey_jarvis_v0.1.onnx'),
    note: 'openWakeWord hey_jarvis; 16 real embeddings of synthetic audio',
    cases: { main: async () => {
      const mel = await melFrames(32000, 51);
      const emb = await session(path.join(CACHE, 'embedding_model.onnx'));
      const windows = melWindows(mel, 16, 8);
      const e = (await emb.run({ [emb.inputNames[0]]: windows }))[emb.outputNames[0]];
      return { 'x.1': new ort.Tensor('float32', Float32Array.from(e.data), [1, 16, 96]) };
    } },
  });
  return list;
}

function specTensor(name, spec, seed) {
  const dims = spec.shape;
  const n = dims.reduce((a, b) => a * b, 1);
  const rand = mulberry32(seed);
  switch (spec.dtype) {
    case 'float32': {
      const d = new Float32Array(n);
      for (let i = 0; i < n; ++i) d[i] = spec.low + (spec.high - spec.low) * rand();
      return new ort.Tensor('float32', d, dims);
    }
    case 'int64': {
      const d = new BigInt64Array(n);
      for (let i = 0; i < n; ++i) d[i] = BigInt(spec.low + Math.floor((spec.high - spec.low + 1) * rand()));
      return new ort.Tensor('int64', d, dims);
    }
    case 'uint8': case 'int8': case 'int32': {
      const Ctor = { uint8: Uint8Array, int8: Int8Array, int32: Int32Array }[spec.dtype];
      const d = new Ctor(n);
      for (let i = 0; i < n; ++i) d[i] = spec.low + Math.floor((spec.high - spec.low + 1) * rand());
      return new ort.Tensor(spec.dtype, d, dims);
    }
    case 'bool': {
      const d = new Uint8Array(n);
      for (let i = 0; i < n; ++i) d[i] = 'value' in spec ? (spec.value ? 1 : 0) : (rand() < 0.5 ? 1 : 0);
      return new ort.Tensor('bool', d, dims);
    }
    default: throw new Error(`${name}: unsupported input dtype ${spec.dtype}`);
  }
}

// Models with a NAME.inputs.json next to them: the committed models/test/ ones (golden `test_NAME`) and the
// larger generated ones in cache/generated/ (make_transformer_model.py; golden `gen_NAME`).
function testModels(dir = TEST_MODELS, prefix = 'test') {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort().map((f) => {
    const name = f.replace(/\.onnx$/, '');
    const spec = JSON.parse(fs.readFileSync(path.join(dir, `${name}.inputs.json`), 'utf8'));
    const cases = {};
    for (const [caseName, inputs] of Object.entries(spec.cases)) {
      cases[caseName] = async () => Object.fromEntries(Object.entries(inputs).map(
        ([inName, s]) => [inName, specTensor(inName, s, seedOf(`${name}/${caseName}/${inName}`))]));
    }
    // A model's inputs.json may widen the tolerance (quantized models: int_atol 1, since requantization
    // may round one unit differently from onnxruntime).
    return { name: `${prefix}_${name}`, file: path.join(dir, f), note: `models/${path.relative(HERE, dir)}/${f}`, cases,
             tolerance: spec.tolerance };
  });
}

// ---------------------------------------------------------------- run and write
function writeTensors(dir, tensors) {
  fs.mkdirSync(dir, { recursive: true });
  const files = {};
  for (const [name, t] of Object.entries(tensors)) {
    const file = `${sanitize(name)}.npy`;
    fs.writeFileSync(path.join(dir, file), npyBytes(t.type, t.dims, t.data));
    files[name] = file;
  }
  return files;
}

async function makeGolden(m) {
  if (!fs.existsSync(m.file)) throw new Error(`${m.file} is missing: run models/fetch.sh`);
  const dir = path.join(GOLDEN, m.name);
  fs.rmSync(dir, { recursive: true, force: true });
  const sess = await session(m.file);
  const manifest = {
    model: path.relative(dir, m.file),
    note: m.note,
    reference: `onnxruntime-node ${ort.env.versions?.node ?? '1.30.0'} (CPU, 1 thread, graph optimizations disabled)`,
    tolerance: m.tolerance
      ? { ...TOLERANCE, ...m.tolerance, rule: '|actual - expected| <= atol + rtol * |expected| for float outputs; |actual - expected| <= int_atol for integer outputs' }
      : { ...TOLERANCE, rule: '|actual - expected| <= atol + rtol * |expected| for float outputs; exact for integer and bool outputs' },
    inputs: sess.inputNames,
    outputs: sess.outputNames,
    cases: [],
  };
  for (const [caseName, build] of Object.entries(m.cases)) {
    const feeds = await build();
    const t0 = performance.now();
    const results = await sess.run(feeds);
    const ms = performance.now() - t0;
    const rel = caseName === 'main' ? '.' : `cases/${caseName}`;
    const inputs = writeTensors(path.join(dir, rel, 'inputs'), feeds);
    const outputs = writeTensors(path.join(dir, rel, 'outputs'), Object.fromEntries(sess.outputNames.map((n) => [n, results[n]])));
    const shapes = (ts) => Object.fromEntries(Object.entries(ts).map(([k, t]) => [k, [t.type, t.dims]]));
    manifest.cases.push({
      name: caseName,
      dir: rel,
      inputs: Object.fromEntries(Object.entries(inputs).map(([k, f]) => [k, `inputs/${f}`])),
      outputs: Object.fromEntries(Object.entries(outputs).map(([k, f]) => [k, `outputs/${f}`])),
      input_shapes: shapes(feeds),
      output_shapes: shapes(Object.fromEntries(sess.outputNames.map((n) => [n, results[n]]))),
    });
    const summary = sess.outputNames.map((n) => `${n}${JSON.stringify(results[n].dims)}`).join(' ');
    console.log(`golden: ${m.name}/${caseName}: ${summary} (${ms.toFixed(1)} ms)`);
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
}

async function main() {
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg > 0 ? new Set(process.argv[onlyArg + 1].split(',')) : null;
  const models = [...(await realModels()), ...testModels(), ...testModels(path.join(CACHE, 'generated'), 'gen')]
    .filter((m) => !only || only.has(m.name));
  fs.mkdirSync(GOLDEN, { recursive: true });
  for (const m of models) await makeGolden(m);
  console.log(`golden: ${models.length} models in ${GOLDEN}`);
}

main().catch((e) => {
  console.error(`golden.mjs: ${e.stack || e}`);
  process.exit(1);
});
