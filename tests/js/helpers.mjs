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

import { buildModel, attrInt, rng } from './onnx-writer.mjs';

export { buildModel, attrInt, rng };


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

// int8 matrix products for comparing kernels: QLinearMatMul with constant int8 weights (prepacked),
// MatMulInteger with a uint8 B fed at run time (zero point 128) and with constant uint8 weights whose
// zero point 3 leaves B - b_zp outside int8 (the int16 layout). Odd sizes, several tiles per thread.
export function int8MatMulModel(seed = 5) {
  const r = rng(seed);
  const m = 67, k = 301, n = 43;
  const bytes = (len, lo, hi, Ctor) => Ctor.from({ length: len }, () => lo + Math.floor(r() * (hi - lo + 1)));
  const f32 = (v) => new Float32Array([v]);
  const model = buildModel({
    nodes: [
      ['QLinearMatMul', ['a', 'a_s', 'a_zp', 'w8', 'w_s', 'w8_zp', 'y_s', 'y_zp'], ['y_const'], 'qlinear_matmul'],
      ['MatMulInteger', ['a', 'b', 'a_zp', 'b_zp'], ['y_dyn'], 'matmul_integer_dynamic'],
      ['MatMulInteger', ['a', 'wu', 'a_zp', 'wu_zp'], ['y_wide'], 'matmul_integer_wide'],
    ],
    inits: [
      ['a_s', 'float32', [], f32(0.02)], ['a_zp', 'uint8', [], new Uint8Array([77])],
      ['w8', 'int8', [k, n], bytes(k * n, -128, 127, Int8Array)], ['w_s', 'float32', [], f32(0.003)],
      ['w8_zp', 'int8', [], new Int8Array([0])], ['y_s', 'float32', [], f32(0.5)], ['y_zp', 'uint8', [], new Uint8Array([120])],
      ['b_zp', 'uint8', [], new Uint8Array([128])],
      ['wu', 'uint8', [k, n], bytes(k * n, 0, 255, Uint8Array)], ['wu_zp', 'uint8', [], new Uint8Array([3])],
    ],
    inputs: [['a', 'uint8', [2, m, k]], ['b', 'uint8', [k, n]]],
    outputs: [['y_const', 'uint8', [2, m, n]], ['y_dyn', 'int32', [2, m, n]], ['y_wide', 'int32', [2, m, n]]],
  });
  const feeds = {
    a: { dims: [2, m, k], data: Array.from(bytes(2 * m * k, 0, 255, Uint8Array)) },
    b: { dims: [k, n], data: Array.from(bytes(k * n, 0, 255, Uint8Array)) },
  };
  return { model, feeds };
}
