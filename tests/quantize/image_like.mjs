// Image-like calibration inputs for text detection: a light, smoothly shaded page with a few lines of
// dark character-sized blocks and sensor noise, normalized as PP-OCR expects ((x/255 - mean) / std,
// ImageNet mean/std, NCHW). Deterministic per seed.
import { rng } from '../js/onnx-writer.mjs';

export function textPage(h, w, seed) {
  const r = rng(seed);
  const img = new Float32Array(3 * h * w);
  const tint = [0.85 + 0.1 * r(), 0.85 + 0.1 * r(), 0.8 + 0.1 * r()];
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) img[(c * h + y) * w + x] = tint[c] - 0.1 * (x / w) * (y / h);
  const lines = 4 + Math.floor(r() * 5);
  for (let l = 0; l < lines; l++) {
    const size = 12 + Math.floor(r() * 28);              // glyph height in pixels
    const y0 = Math.floor(r() * (h - size - 1));
    let x = Math.floor(r() * w * 0.3);
    const end = Math.min(w - 1, x + Math.floor(w * (0.3 + 0.6 * r())));
    const ink = 0.05 + 0.25 * r();
    while (x < end) {
      const gw = Math.floor(size * (0.4 + 0.5 * r()));   // glyph width
      const stroke = Math.max(2, Math.floor(size / 7));
      for (let y = y0; y < y0 + size && y < h; y++)
        for (let xx = x; xx < x + gw && xx < w; xx++) {
          // a glyph: its outline and a random middle bar, like a rough letter
          const edge = y - y0 < stroke || y0 + size - y <= stroke || xx - x < stroke || (y - y0 > size / 2 - stroke / 2 && y - y0 < size / 2 + stroke / 2 && r() < 0.9);
          if (edge && r() < 0.92) for (let c = 0; c < 3; c++) img[(c * h + y) * w + xx] = ink;
        }
      x += gw + Math.floor(size * (0.15 + 0.3 * r())) + (r() < 0.15 ? size : 0);
    }
  }
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  for (let c = 0; c < 3; c++)
    for (let i = 0; i < h * w; i++) {
      const k = c * h * w + i;
      img[k] = (Math.min(1, Math.max(0, img[k] + 0.02 * (r() - 0.5))) - mean[c]) / std[c];
    }
  return img;
}
