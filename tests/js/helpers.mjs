// Shared by the JS package tests: a small ONNX writer for hand-built models, golden comparison, paths.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PKG = path.join(ROOT, 'js-bindings');
export const DIST = path.join(PKG, 'dist');
export const MODELS = path.join(ROOT, 'models', 'cache');

// Variants under test: EDGEINFER_JS_VARIANTS=simd-threads,simd (default: all three).
export const VARIANTS = (process.env.EDGEINFER_JS_VARIANTS || 'simd-threads,simd,baseline')
  .split(',').map((s) => s.trim()).filter(Boolean);

export function assertDistBuilt() {
  if (!fs.existsSync(path.join(DIST, 'node.mjs')) || !fs.existsSync(path.join(DIST, 'edgeinfer-simd.wasm'))) {
    throw new Error('js-bindings/dist is not assembled: run `node js-bindings/scripts/build.mjs` after tools/build_wasm.sh');
  }
}

// ------------------------------------------------------------------------------ minimal protobuf writer
class Pb {
  constructor() { this.bytes = []; }
  varint(v) {
    let n = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n) b |= 0x80;
      this.bytes.push(b);
    } while (n);
    return this;
  }
  tag(field, wire) { return this.varint((field << 3) | wire); }
  int(field, v) { return this.tag(field, 0).varint(v); }
  bytesField(field, u8) { this.tag(field, 2).varint(u8.length); for (const b of u8) this.bytes.push(b); return this; }
  str(field, s) { return this.bytesField(field, new TextEncoder().encode(s)); }
  msg(field, pb) { return this.bytesField(field, pb.finish()); }
  float(field, f) {
    this.tag(field, 5);
    for (const x of new Uint8Array(new Float32Array([f]).buffer)) this.bytes.push(x);
    return this;
  }
  finish() { return Uint8Array.from(this.bytes); }
}

const ONNX_TYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };

function tensorProto(name, dtype, dims, typed) {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  t.int(2, ONNX_TYPE[dtype]);
  t.str(8, name);
  t.bytesField(9, new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
  return t;
}
function valueInfo(name, dtype, dims) {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'string' ? new Pb().str(2, d) : new Pb().int(1, d));
  return new Pb().str(1, name).msg(2, new Pb().msg(1, new Pb().int(1, ONNX_TYPE[dtype]).msg(2, shape)));
}
function node(op, inputs, outputs, name, attrs = []) {
  const n = new Pb();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(3, name).str(4, op);
  for (const a of attrs) n.msg(5, a);
  return n;
}
const attrInt = (name, v) => new Pb().str(1, name).int(3, v).int(20, 2);

// model({nodes: [[op, inputs, outputs, name, attrs]], inits: [[name, dtype, dims, typed]],
//        inputs: [[name, dtype, dims]], outputs: [[name, dtype, dims]]}) -> ONNX bytes (opset 17)
export function buildModel({ nodes, inits = [], inputs, outputs, producer = 'edgeinfer-js-tests' }) {
  const g = new Pb();
  for (const n of nodes) g.msg(1, node(...n));
  g.str(2, 'g');
  for (const i of inits) g.msg(5, tensorProto(...i));
  for (const i of inputs) g.msg(11, valueInfo(...i));
  for (const o of outputs) g.msg(12, valueInfo(...o));
  const m = new Pb();
  m.int(1, 8).str(2, producer).msg(7, g).msg(8, new Pb().str(1, '').int(2, 17));
  return m.finish();
}
export { attrInt };

// x float32 [batch, 4] -> y = relu(x * w + b), z = softmax(x * w + b)
export function tinyModel() {
  return buildModel({
    nodes: [
      ['Mul', ['x', 'w'], ['xw'], 'mul'],
      ['Add', ['xw', 'b'], ['a'], 'add_b'],
      ['Relu', ['a'], ['y'], 'relu'],
      ['Softmax', ['a'], ['z'], 'softmax', [attrInt('axis', -1)]],
    ],
    inits: [
      ['w', 'float32', [4], new Float32Array([0.5, -1.25, 2.0, 0.75])],
      ['b', 'float32', [1, 4], new Float32Array([0.1, 0.2, -0.3, 0.4])],
    ],
    inputs: [['x', 'float32', ['batch', 4]]],
    outputs: [['y', 'float32', ['batch', 4]], ['z', 'float32', ['batch', 4]]],
  });
}
export const W = [0.5, -1.25, 2.0, 0.75];
export const B = [0.1, 0.2, -0.3, 0.4];
// Expected outputs of tinyModel in float64 arithmetic.
export function tinyExpected(x) {
  const batch = x.length / 4;
  const y = new Float64Array(x.length);
  const z = new Float64Array(x.length);
  for (let r = 0; r < batch; ++r) {
    const a = [0, 1, 2, 3].map((j) => x[r * 4 + j] * W[j] + B[j]);
    const m = Math.max(...a);
    const e = a.map((v) => Math.exp(v - m));
    const s = e.reduce((p, q) => p + q, 0);
    for (let j = 0; j < 4; ++j) { y[r * 4 + j] = Math.max(0, a[j]); z[r * 4 + j] = e[j] / s; }
  }
  return { y, z };
}

// Every dtype through Identity: t_<dtype> -> o_<dtype>, shape [n] with a symbolic dim.
export const ROUND_TRIP_TYPES = ['float32', 'int32', 'int64', 'uint8', 'int8', 'bool'];
export function identityModel() {
  return buildModel({
    nodes: ROUND_TRIP_TYPES.map((t) => ['Identity', [`t_${t}`], [`o_${t}`], `id_${t}`]),
    inputs: ROUND_TRIP_TYPES.map((t) => [`t_${t}`, t, ['n']]),
    outputs: ROUND_TRIP_TYPES.map((t) => [`o_${t}`, t, ['n']]),
  });
}

// A model with an operator the core does not have.
export function unsupportedModel() {
  return buildModel({
    nodes: [['NoSuchOp', ['x'], ['y'], 'the_odd_node']],
    inputs: [['x', 'float32', [2]]],
    outputs: [['y', 'float32', [2]]],
  });
}

// |actual - expected| <= atol + rtol * |expected| (golden rule), exact for integers.
export function maxViolation(actual, expected, atol = 1e-4, rtol = 1e-3) {
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; ++i) {
    const a = Number(actual[i]);
    const e = Number(expected[i]);
    const v = Number.isNaN(e) ? (Number.isNaN(a) ? 0 : Infinity) : Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(v <= worst)) { worst = Number.isNaN(v) ? Infinity : v; at = i; }
  }
  return { worst, at };
}

export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
