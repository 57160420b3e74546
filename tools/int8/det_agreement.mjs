// PP-OCRv4 det: agreement of an int8 model's probability maps with the fp32 model's, on the rendered
// evaluation pages (tools/int8/render_text_pages.py), and a sanity check of the fp32 maps against the
// pages' word boxes.
//
//   node tools/int8/det_agreement.mjs [--fp32 models/cache/ppocr_det.onnx] [--int8 MODEL.onnx]
//        [--pages <int8 cache>/ppocr_det/eval] [--runtime ours|ort] [--threads 1] [--json FILE]
//
// Per page and in total (the maps are 1x1xHxW probabilities):
//   mean / max |fp32 - int8|
//   IoU of the binarized maps (p > 0.3, PP-OCR's DB threshold)
//   boxes: 4-connected components of the binarized map with >= 9 pixels and mean probability >= 0.6
//          (PP-OCR's box_thresh); box agreement = share of fp32 boxes with an int8 box of bbox IoU >= 0.5,
//          and the other way round
//   sanity (fp32): share of word boxes with >= 20% of their pixels above 0.3 (words found), and share of
//          the above-threshold pixels inside a word box grown by 3 pixels (map on text)
// Without --int8 only the fp32 sanity check runs. Exit status 1 when the fp32 sanity check fails
// (words found < 0.9 or map on text < 0.8): the pages or their preprocessing would then be wrong.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, CACHE, runCli, runOrt, parseFlags } from './lib.mjs';

const USAGE = 'usage: node tools/int8/det_agreement.mjs [--fp32 MODEL] [--int8 MODEL] [--pages DIR] [--runtime ours|ort] [--threads N] [--json FILE]';
export const THRESH = 0.3;
export const BOX_THRESH = 0.6;
const MIN_AREA = 9;

async function runDet(model, file, runtime, threads) {
  const out = runtime === 'ort' ? await runOrt(model, { x: file }) : runCli(model, { x: file }, { threads });
  const t = Object.values(out)[0];
  return { h: t.dims[t.dims.length - 2], w: t.dims[t.dims.length - 1], data: t.data };
}

// Components of p > THRESH (4-connectivity) kept as boxes: {x0, y0, x1, y1, area, mean}.
export function boxes(map) {
  const { h, w, data } = map;
  const label = new Int32Array(h * w);
  const out = [];
  const stack = [];
  let next = 0;
  for (let s = 0; s < h * w; ++s) {
    if (label[s] || !(data[s] > THRESH)) continue;
    label[s] = ++next;
    stack.push(s);
    let x0 = w, y0 = h, x1 = -1, y1 = -1, area = 0, sum = 0;
    while (stack.length) {
      const i = stack.pop();
      const y = (i / w) | 0, x = i - y * w;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      area++; sum += data[i];
      for (const j of [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1]) {
        if (j >= 0 && !label[j] && data[j] > THRESH) { label[j] = next; stack.push(j); }
      }
    }
    if (area >= MIN_AREA && sum / area >= BOX_THRESH) out.push({ x0, y0, x1: x1 + 1, y1: y1 + 1, area, mean: sum / area });
  }
  return out;
}

function bboxIou(a, b) {
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  return inter / ((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter);
}

const matchedShare = (from, to) => (from.length ? from.filter((a) => to.some((b) => bboxIou(a, b) >= 0.5)).length / from.length : 1);

export function agreement(f, q) {
  let sum = 0, max = 0, inter = 0, union = 0;
  for (let i = 0; i < f.data.length; ++i) {
    const d = Math.abs(f.data[i] - q.data[i]);
    sum += d; if (d > max) max = d;
    const a = f.data[i] > THRESH, b = q.data[i] > THRESH;
    inter += a && b; union += a || b;
  }
  const bf = boxes(f), bq = boxes(q);
  return {
    meanAbsDiff: sum / f.data.length, maxAbsDiff: max, iou: union ? inter / union : 1,
    boxesFp32: bf.length, boxesInt8: bq.length, fp32BoxesMatched: matchedShare(bf, bq), int8BoxesMatched: matchedShare(bq, bf),
  };
}

export function sanity(map, words) {
  const { h, w, data } = map;
  const inWord = new Uint8Array(h * w);
  let found = 0;
  for (const [x0, y0, x1, y1] of words) {
    let pos = 0, n = 0;
    for (let y = Math.max(0, y0); y < Math.min(h, y1); ++y) {
      for (let x = Math.max(0, x0); x < Math.min(w, x1); ++x) { n++; pos += data[y * w + x] > THRESH; }
    }
    if (n && pos / n >= 0.2) found++;
    for (let y = Math.max(0, y0 - 3); y < Math.min(h, y1 + 3); ++y) {
      for (let x = Math.max(0, x0 - 3); x < Math.min(w, x1 + 3); ++x) inWord[y * w + x] = 1;
    }
  }
  let pos = 0, onText = 0;
  for (let i = 0; i < h * w; ++i) if (data[i] > THRESH) { pos++; onText += inWord[i]; }
  return { words: words.length, wordsFound: words.length ? found / words.length : 1, mapOnText: pos ? onText / pos : 0, positivePixels: pos };
}

export async function evaluate({ fp32, int8, pages, runtime = 'ours', threads = 1, log = () => {} }) {
  const meta = JSON.parse(fs.readFileSync(path.join(pages, 'boxes.json'), 'utf8'));
  const perPage = [];
  for (const page of meta.pages) {
    const file = path.join(pages, page.file);
    const f = await runDet(fp32, file, runtime, threads);
    const r = { page: page.file, sanity: sanity(f, page.boxes) };
    if (int8) r.agreement = agreement(f, await runDet(int8, file, runtime, threads));
    perPage.push(r);
    log(r);
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const total = {
    pages: perPage.length,
    wordsFound: mean(perPage.map((r) => r.sanity.wordsFound)),
    mapOnText: mean(perPage.map((r) => r.sanity.mapOnText)),
  };
  if (int8) {
    for (const k of ['meanAbsDiff', 'iou', 'fp32BoxesMatched', 'int8BoxesMatched']) total[k] = mean(perPage.map((r) => r.agreement[k]));
    total.maxAbsDiff = Math.max(...perPage.map((r) => r.agreement.maxAbsDiff));
    total.boxesFp32 = perPage.reduce((a, r) => a + r.agreement.boxesFp32, 0);
    total.boxesInt8 = perPage.reduce((a, r) => a + r.agreement.boxesInt8, 0);
  }
  total.sanityOk = total.wordsFound >= 0.9 && total.mapOnText >= 0.8;
  return { runtime, fp32: path.relative(ROOT, fp32), int8: int8 ? path.relative(ROOT, int8) : null, perPage, total };
}

async function main() {
  const o = parseFlags(process.argv.slice(2), {
    fp32: path.join(ROOT, 'models/cache/ppocr_det.onnx'), int8: '', pages: path.join(CACHE, 'ppocr_det', 'eval'),
    runtime: 'ours', threads: 1, json: '',
  }, USAGE);
  if (!['ours', 'ort'].includes(o.runtime)) { console.error(USAGE); process.exit(2); }
  for (const f of [o.fp32, o.int8, path.join(o.pages, 'boxes.json')]) {
    if (f && !fs.existsSync(f)) throw new Error(`${f} not found${f.endsWith('boxes.json') ? ' (run tools/int8/render_text_pages.py)' : ''}`);
  }
  const pct = (v) => `${(100 * v).toFixed(1)}%`;
  const res = await evaluate({
    fp32: path.resolve(o.fp32), int8: o.int8 ? path.resolve(o.int8) : '', pages: o.pages, runtime: o.runtime, threads: o.threads,
    log: (r) => {
      let s = `${r.page}: fp32 words found ${pct(r.sanity.wordsFound)} of ${r.sanity.words}, map on text ${pct(r.sanity.mapOnText)}`;
      if (r.agreement) {
        const a = r.agreement;
        s += `; int8 mean|d| ${a.meanAbsDiff.toExponential(2)} max|d| ${a.maxAbsDiff.toFixed(3)} IoU@${THRESH} ${a.iou.toFixed(4)} ` +
          `boxes ${a.boxesFp32}/${a.boxesInt8} matched ${pct(a.fp32BoxesMatched)}/${pct(a.int8BoxesMatched)}`;
      }
      console.log(s);
    },
  });
  const t = res.total;
  console.log(`fp32 sanity (${o.runtime}): words found ${pct(t.wordsFound)}, map on text ${pct(t.mapOnText)} over ${t.pages} pages: ${t.sanityOk ? 'ok' : 'FAILED'}`);
  if (o.int8) {
    console.log(`int8 vs fp32 (${o.runtime}): mean |d| ${t.meanAbsDiff.toExponential(2)}, max |d| ${t.maxAbsDiff.toFixed(3)}, ` +
      `IoU of maps > ${THRESH}: ${t.iou.toFixed(4)}, boxes fp32 ${t.boxesFp32} / int8 ${t.boxesInt8}, ` +
      `matched (bbox IoU >= 0.5): ${pct(t.fp32BoxesMatched)} of fp32's, ${pct(t.int8BoxesMatched)} of int8's`);
  }
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(res, null, 1) + '\n');
  if (!t.sanityOk) process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main().catch((e) => { console.error(`det_agreement.mjs: ${e.message || e}`); process.exit(1); });
}
