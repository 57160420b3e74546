"""Where the int8 evaluation data lives and how calibration folders are laid out (one place for both).

Everything here is written to a git-ignored cache, by default models/cache/int8/ (override with the
environment variable EDGEINFER_INT8_CACHE):

    <cache>/mnist/calibration/<i>/input.npy        100 training digits, 1x1x28x28 float32 each
    <cache>/mnist/heldout_x.npy, heldout_y.npy     the 2000 held-out digits (Nx1x28x28 float32, int64 labels)
    <cache>/mnist/bench_input.npy                  64 held-out digits, the benchmark input
    <cache>/ppocr_det/calibration/<i>/x.npy        rendered text pages, 1x3x640x640 float32 each
    <cache>/ppocr_det/eval/<i>/x.npy               other pages for the fp32-vs-int8 agreement check
    <cache>/transformer/calibration/<i>/x.npy

A calibration folder holds one sub-folder per sample with one .npy per model input (file name: the
input name made file-safe), the layout `edgeinfer quantize --calibration DIR` reads. CALIBRATION_FILE
is the one place that fixes it; the JS scripts take sample paths from tools/int8/models.json and from
the boxes.json the page renderer writes.
"""
import os
import re
import shutil

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("EDGEINFER_INT8_CACHE") or os.path.join(HERE, "cache", "int8")

# One calibration sample of one model input, relative to the folder. Index i counts from 0, unpadded.
CALIBRATION_FILE = "{index}/{input}.npy"


def safe_name(name):
    """Tensor name -> file name part, the rule of the CLI and golden.mjs ([A-Za-z0-9._-], no leading '.')."""
    s = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return "_" + s if s == "" or s.startswith(".") else s


def write_calibration(directory, samples):
    """samples: list of {input_name: np.ndarray}. Replaces DIR's samples. Returns the file count."""
    os.makedirs(directory, exist_ok=True)
    for f in os.listdir(directory):
        p = os.path.join(directory, f)
        if f.endswith(".npy") and os.path.isfile(p):
            os.remove(p)
        elif f.isdigit() and os.path.isdir(p):
            shutil.rmtree(p)
    n = 0
    for i, feeds in enumerate(samples):
        for name, arr in feeds.items():
            path = os.path.join(directory, CALIBRATION_FILE.format(input=safe_name(name), index=i))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            np.save(path, arr)
            n += 1
    return n


def read_calibration(directory, input_name):
    """The samples of one input in a calibration folder, in index order."""
    out = []
    i = 0
    while True:
        path = os.path.join(directory, CALIBRATION_FILE.format(input=safe_name(input_name), index=i))
        if not os.path.exists(path):
            return out
        out.append(np.load(path))
        i += 1


def model_dir(name):
    d = os.path.join(CACHE, name)
    os.makedirs(d, exist_ok=True)
    return d
