// The MNIST CNN (models/mnist/mnist_cnn.onnx) in our runtime (native CLI, the 2000 held-out digits as one
// batch) against its stated accuracy and against onnxruntime-node, and the int8 evaluation plumbing on a
// stand-in QDQ model built here (tools/int8/make_standin_qdq.py into a temporary cache).
//   node --test tests/int8/          (needs build/native/tools/edgeinfer, or EDGEINFER_CLI)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { heldOut } from '../../models/mnist/mnist_data.mjs';
import { evalModel } from '../../tools/int8/eval_mnist.mjs';
import { ROOT } from '../../tools/int8/lib.mjs';
import { readNpy } from '../../tools/npy.mjs';

const FP32 = path.join(ROOT, 'models', 'mnist', 'mnist_cnn.onnx');
// Stated in models/README.md: 97.90% held-out in onnxruntime-node; the test keeps a margin of 0.9 points.
const MIN_ACCURACY = 0.97;
// Logits of ours vs onnxruntime-node, per element: |ours - ort| <= ATOL + RTOL * |ort|.
const ATOL = 1e-4;
const RTOL = 1e-3;
const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const data = heldOut();

test('held-out split: 2000 digits, every 5th sample, all ten digits in proportion', () => {
  assert.equal(data.labels.length, 2000);
  assert.ok(data.indices.every((g) => g % 5 === 4));
  const counts = new Array(10).fill(0);
  for (const l of data.labels) counts[l]++;
  for (const c of counts) assert.ok(c >= 150 && c <= 240, `per-digit counts ${counts}`);
  assert.ok(data.x.data.every((v) => v >= 0 && v <= 1));
});

test('fp32 MNIST CNN: accuracy in our runtime, logits match onnxruntime-node', async () => {
  const r = await evalModel(FP32, data);
  assert.ok(r.ours >= MIN_ACCURACY, `our accuracy ${r.ours}`);
  assert.equal(r.ours, r.ort);
  assert.equal(r.disagree, 0);
  const { ours, theirs } = r.logits;
  assert.deepEqual(ours.dims, [2000, 10]);
  let worst = 0;
  for (let i = 0; i < ours.data.length; ++i) {
    const excess = Math.abs(ours.data[i] - theirs.data[i]) - (ATOL + RTOL * Math.abs(theirs.data[i]));
    worst = Math.max(worst, excess);
  }
  assert.ok(worst <= 0, `logits differ beyond ${ATOL} + ${RTOL}*|ort| (max abs diff ${r.maxAbsDiffLogits})`);
});

test('int8 plumbing: data export, stand-in QDQ model, accuracy drop within 1 point', async () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'int8-test-'));
  try {
    const env = { ...process.env, EDGEINFER_INT8_CACHE: cache };
    let r = spawnSync(PY, [path.join(ROOT, 'models/mnist/train_mnist.py'), '--data-only'], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    // The layout `edgeinfer quantize --calibration DIR` reads: DIR/<sample>/<input>.npy.
    const calDir = path.join(cache, 'mnist', 'calibration');
    const cal = fs.readdirSync(calDir).sort((a, b) => a - b);
    assert.deepEqual(cal, Array.from({ length: 100 }, (_, i) => String(i)));
    for (const s of cal) assert.deepEqual(fs.readdirSync(path.join(calDir, s)), ['input.npy']);
    assert.deepEqual(readNpy(path.join(calDir, '0', 'input.npy')).dims, [1, 1, 28, 28]);
    const y = readNpy(path.join(cache, 'mnist', 'heldout_y.npy'));
    assert.deepEqual(Array.from(y.data, Number), Array.from(data.labels));
    const x = readNpy(path.join(cache, 'mnist', 'heldout_x.npy'));
    assert.deepEqual(x.dims, [2000, 1, 28, 28]);
    assert.deepEqual(x.data, data.x.data);

    const int8 = path.join(cache, 'mnist_qdq.onnx');
    r = spawnSync(PY, [path.join(ROOT, 'tools/int8/make_standin_qdq.py'), int8], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const fp = await evalModel(FP32, data);
    const q = await evalModel(int8, data);
    assert.ok(Math.abs(fp.ours - q.ours) <= 0.01, `fp32 ${fp.ours} int8 ${q.ours}`);
    // Requantization may round one unit differently from onnxruntime: a handful of changed predictions at most.
    assert.ok(q.disagree <= 4, `${q.disagree} int8 predictions differ from onnxruntime-node's`);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
