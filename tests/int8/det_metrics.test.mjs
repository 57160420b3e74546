// The PP-OCR det agreement metrics of tools/int8/det_agreement.mjs on hand-made probability maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxes, agreement, sanity } from '../../tools/int8/det_agreement.mjs';

function map(h, w, rects) {
  const data = new Float32Array(h * w);
  for (const [x0, y0, x1, y1, p] of rects) for (let y = y0; y < y1; ++y) for (let x = x0; x < x1; ++x) data[y * w + x] = p;
  return { h, w, data };
}

test('boxes: 4-connected components above 0.3 with mean >= 0.6 and >= 9 pixels', () => {
  const m = map(20, 30, [[1, 1, 6, 4, 0.9], [10, 1, 15, 4, 0.5], [20, 10, 22, 11, 0.9], [6, 4, 8, 6, 0.9]]);
  // [1,1,6,4] and [6,4,8,6] touch only diagonally: two components; 0.5-mean and 2-pixel ones are dropped.
  assert.deepEqual(boxes(m).map((b) => [b.x0, b.y0, b.x1, b.y1]), [[1, 1, 6, 4]]);
});

test('agreement: identical maps agree fully; a missing box halves the matches', () => {
  const a = map(20, 40, [[2, 2, 12, 8, 0.9], [20, 2, 30, 8, 0.9]]);
  let r = agreement(a, a);
  assert.equal(r.iou, 1); assert.equal(r.meanAbsDiff, 0); assert.equal(r.fp32BoxesMatched, 1); assert.equal(r.boxesFp32, 2);
  const b = map(20, 40, [[2, 2, 12, 8, 0.8]]);
  r = agreement(a, b);
  assert.equal(r.iou, 0.5);
  assert.equal(r.fp32BoxesMatched, 0.5);
  assert.equal(r.int8BoxesMatched, 1);
  assert.ok(Math.abs(r.maxAbsDiff - 0.9) < 1e-6);
});

test('sanity: a map on the words passes, an empty or misplaced one fails', () => {
  const words = [[2, 2, 12, 8], [20, 2, 30, 8]];
  let s = sanity(map(20, 40, [[3, 3, 11, 7, 0.9], [21, 3, 29, 7, 0.9]]), words);
  assert.equal(s.wordsFound, 1); assert.equal(s.mapOnText, 1);
  s = sanity(map(20, 40, []), words);
  assert.equal(s.wordsFound, 0);
  s = sanity(map(20, 40, [[0, 12, 40, 20, 0.9]]), words);
  assert.equal(s.wordsFound, 0); assert.equal(s.mapOnText, 0);
});
