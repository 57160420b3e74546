// Rendered text pages (tools/int8/render_text_pages.py, into a temporary cache) through PP-OCRv4 det:
// the fp32 map finds the words (the sanity check of tools/int8/det_agreement.mjs) in our runtime, and our
// map agrees with onnxruntime-node's. Needs models/cache/ppocr_det.onnx (models/prepare.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { evaluate, agreement } from '../../tools/int8/det_agreement.mjs';
import { ROOT, runCli, runOrt } from '../../tools/int8/lib.mjs';

const DET = path.join(ROOT, 'models', 'cache', 'ppocr_det.onnx');
const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

test('rendered pages: fp32 det finds the words; our map agrees with onnxruntime-node', async () => {
  assert.ok(fs.existsSync(DET), `${DET} is missing (models/prepare.sh)`);
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'int8-det-test-'));
  try {
    const r = spawnSync(PY, [path.join(ROOT, 'tools/int8/render_text_pages.py'), '--calibration', '1', '--eval', '2', '--size', '320'],
      { env: { ...process.env, EDGEINFER_INT8_CACHE: cache }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const pages = path.join(cache, 'ppocr_det', 'eval');
    const meta = JSON.parse(fs.readFileSync(path.join(pages, 'boxes.json'), 'utf8'));
    assert.equal(meta.pages.length, 2);
    assert.ok(meta.pages.every((p) => p.boxes.length > 0));
    const res = await evaluate({ fp32: DET, pages });
    assert.ok(res.total.sanityOk, JSON.stringify(res.total));
    assert.ok(res.total.wordsFound >= 0.95, `words found ${res.total.wordsFound}`);

    const file = path.join(pages, meta.pages[0].file);
    const ours = Object.values(runCli(DET, { x: file }))[0];
    const theirs = Object.values(await runOrt(DET, { x: file }))[0];
    const toMap = (t) => ({ h: t.dims[2], w: t.dims[3], data: t.data });
    const a = agreement(toMap(theirs), toMap(ours));
    assert.ok(a.maxAbsDiff < 1e-3, `max abs diff ${a.maxAbsDiff}`);
    assert.ok(a.iou > 0.999, `IoU ${a.iou}`);
    assert.equal(a.boxesFp32, a.boxesInt8);
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
});
