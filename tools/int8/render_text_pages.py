#!/usr/bin/python3
"""Renders pages of real text (TrueType fonts, several sizes and colours) as PP-OCRv4 det inputs for the
int8 evaluation: a calibration set and a separate evaluation set, with the word boxes of every page.

    /usr/bin/python3 tools/int8/render_text_pages.py [--calibration 16] [--eval 8] [--size 640]

Writes (cache: models/int8_data.py; file pattern: int8_data.CALIBRATION_FILE):
    <cache>/ppocr_det/calibration/<i>/x.npy      1x3xSxS float32
    <cache>/ppocr_det/eval/<i>/x.npy             1x3xSxS float32 (other pages: other seeds)
    <cache>/ppocr_det/eval/boxes.json            per page: its file and word boxes [x0, y0, x1, y1] in pixels
    <cache>/ppocr_det/eval/page_<i>.png, calibration/page_<i>.png   the rendered pages, for looking at

Preprocessing as PaddleOCR's det (tools/infer/predict_det.py): the image as OpenCV reads it (BGR), /255,
per channel (v - mean) / std with mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225) taken in that
(BGR) order, HWC -> CHW. `--rgb` uses RGB order instead (what models/golden.mjs and the example page do).
Deterministic: page i of a set uses seed (set base + i). Needs python3-pil and the DejaVu/Liberation fonts
(fonts-dejavu-core, fonts-liberation).
"""
import argparse
import json
import os
import random
import sys

import numpy as np

try:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont
except ImportError:
    sys.exit("render_text_pages.py: needs PIL (apt-get install python3-pil)")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "models"))
import int8_data  # noqa: E402

FONT_FILES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
]
WORDS = ("the quick brown fox jumps over lazy dog invoice total amount due date receipt number street "
         "station platform departure arrival coffee milk sugar bread price offer open closed monday friday "
         "edge inference model browser offline runtime quantized network detection text recognition page "
         "chapter section figure table summary result value error warning version update download").split()
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def token(rng):
    r = rng.random()
    if r < 0.12:
        return str(rng.randint(1, 99999))
    if r < 0.18:
        return "%d.%02d" % (rng.randint(0, 999), rng.randint(0, 99))
    w = rng.choice(WORDS)
    if r < 0.35:
        w = w.capitalize()
    elif r < 0.42:
        w = w.upper()
    return w


def render_page(seed, size):
    rng = random.Random(seed)
    fonts = [f for f in FONT_FILES if os.path.exists(f)]
    if not fonts:
        sys.exit("render_text_pages.py: no DejaVu/Liberation fonts under /usr/share/fonts/truetype")
    # Light paper with a gentle tint and gradient; some pages darker text on coloured paper.
    base = np.array([rng.randint(215, 255) for _ in range(3)], np.float32)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    grad = (rng.uniform(-18, 18) * xx + rng.uniform(-18, 18) * yy)[..., None]
    noise = np.random.default_rng(seed).normal(0, 3.0, (size, size, 3))
    bg = np.clip(base + grad + noise, 0, 255).astype(np.uint8)
    img = Image.fromarray(bg, "RGB")
    draw = ImageDraw.Draw(img)
    boxes = []
    y = rng.randint(8, 30)
    while True:
        px = rng.choice([12, 14, 16, 18, 20, 24, 28, 32, 40, 48, 56])
        font = ImageFont.truetype(rng.choice(fonts), px)
        line_h = int(px * rng.uniform(1.3, 1.9))
        if y + line_h > size - 8:
            break
        colour = tuple(rng.randint(0, 90) for _ in range(3))
        x = rng.randint(8, size // 4)
        # Some lines are short (a heading, a price), most run across the page.
        limit = size - 8 if rng.random() < 0.75 else rng.randint(size // 3, size - 8)
        while True:
            w = token(rng)
            x0, y0, x1, y1 = draw.textbbox((x, y), w, font=font)
            if x1 > limit:
                break
            draw.text((x, y), w, font=font, fill=colour)
            boxes.append([int(x0), int(y0), int(x1), int(y1)])
            x = x1 + int(px * rng.uniform(0.3, 0.8))
        y += line_h + (rng.randint(0, px) if rng.random() < 0.3 else 0)
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(0.6))
    return img, boxes


def to_tensor(img, rgb):
    a = np.asarray(img, np.float32) / 255.0  # HWC, RGB
    if not rgb:
        a = a[..., ::-1]  # BGR, as cv2.imread gives PaddleOCR
    a = (a - MEAN) / STD
    return np.ascontiguousarray(a.transpose(2, 0, 1)[None]).astype(np.float32)


def write_set(directory, count, seed_base, size, rgb):
    samples, pages = [], []
    for i in range(count):
        img, boxes = render_page(seed_base + i, size)
        samples.append({"x": to_tensor(img, rgb)})
        pages.append({"file": int8_data.CALIBRATION_FILE.format(input="x", index=i), "seed": seed_base + i, "boxes": boxes})
        os.makedirs(directory, exist_ok=True)
        img.save(os.path.join(directory, "page_%d.png" % i))
    int8_data.write_calibration(directory, samples)
    with open(os.path.join(directory, "boxes.json"), "w") as f:
        json.dump({"size": size, "channel_order": "RGB" if rgb else "BGR", "pages": pages}, f)
    return sum(len(p["boxes"]) for p in pages)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--calibration", type=int, default=16)
    ap.add_argument("--eval", type=int, default=8)
    ap.add_argument("--size", type=int, default=640)
    ap.add_argument("--rgb", action="store_true")
    a = ap.parse_args()
    d = int8_data.model_dir("ppocr_det")
    n1 = write_set(os.path.join(d, "calibration"), a.calibration, 1000, a.size, a.rgb)
    n2 = write_set(os.path.join(d, "eval"), a.eval, 2000, a.size, a.rgb)
    print("rendered %d calibration pages (%d words) and %d evaluation pages (%d words), %dx%d, %s, into %s"
          % (a.calibration, n1, a.eval, n2, a.size, a.size, "RGB" if a.rgb else "BGR", d))


if __name__ == "__main__":
    main()
