"""Where the int8 evaluation data lives and how calibration folders are laid out (one place for both).

Everything here is written to a git-ignored cache, by default models/cache/int8/ (override with the
environment variable EDGEINFER_INT8_CACHE):

    <cache>/mnist/calibration/<input>_<i>.npy      100 training digits, 1x1x28x28 float32 each
    <cache>/mnist/heldout_x.npy, heldout_y.npy     the 2000 held-out digits (Nx1x28x28 float32, int64 labels)
    <cache>/ppocr_det/calibration/<input>_<i>.npy  rendered text pages, 1x3x640x640 float32 each
    <cache>/ppocr_det/eval/<input>_<i>.npy         other pages for the fp32-vs-int8 agreement check
    <cache>/transformer/calibration/<input>_<i>.npy

A calibration folder holds one file per (model input, sample): `edgeinfer quantize --calibration DIR`
reads it. If the quantizer settles on another layout, change CALIBRATION_FILE (and calibration_files)
here only; the JS side reads the same pattern from tools/int8/config.mjs.
"""
import os
import re

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("EDGEINFER_INT8_CACHE") or os.path.join(HERE, "cache", "int8")

# One calibration sample of one model input. Index i counts from 0, without padding.
CALIBRATION_FILE = "{input}_{index}.npy"


def safe_name(name):
    """Tensor name -> file name part, the rule of the CLI and golden.mjs ([A-Za-z0-9._-], no leading '.')."""
    s = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    return "_" + s if s == "" or s.startswith(".") else s


def write_calibration(directory, samples):
    """samples: list of {input_name: np.ndarray}. Replaces DIR's .npy files. Returns the file count."""
    os.makedirs(directory, exist_ok=True)
    for f in os.listdir(directory):
        if f.endswith(".npy"):
            os.remove(os.path.join(directory, f))
    n = 0
    for i, feeds in enumerate(samples):
        for name, arr in feeds.items():
            np.save(os.path.join(directory, CALIBRATION_FILE.format(input=safe_name(name), index=i)), arr)
            n += 1
    return n


def model_dir(name):
    d = os.path.join(CACHE, name)
    os.makedirs(d, exist_ok=True)
    return d
