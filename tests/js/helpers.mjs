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

