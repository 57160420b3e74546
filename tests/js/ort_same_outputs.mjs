// node tests/js/ort_same_outputs.mjs A.onnx B.onnx [A2.onnx B2.onnx ...]
// Runs each pair with onnxruntime-node on the same seeded random inputs and requires bitwise-equal
// outputs: B is A written back by the core's ONNX writer (tests/unit/onnx_writer_test.cc calls this).
// Shapes come from A.inputs.json when it exists; otherwise symbolic or unknown dims: the first is 1; the others 64 in rank-4 (image) inputs, else 1600 (audio).
// Prints one line per pair; exits 1 on any difference.
import fs from 'node:fs';
import ort from 'onnxruntime-node';

function rng(seed) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function inputsFor(session, path) {
  const r = rng(42);
  const feeds = {};
  // models/test/X.onnx has X.inputs.json with the shapes of its "main" case.
  const spec = path.replace(/\.onnx$/, '.inputs.json');
  const main = fs.existsSync(spec) ? JSON.parse(fs.readFileSync(spec, 'utf8')).cases?.main ?? {} : {};
  for (const m of session.inputMetadata) {
    const shape = main[m.name]?.shape ?? m.shape.map((d, i) => (typeof d === 'number' && d >= 0 ? d : i === 0 ? 1 : m.shape.length === 4 ? 64 : 1600));
    const n = shape.reduce((a, b) => a * b, 1);
    let data;
    if (m.type === 'float32') data = Float32Array.from({ length: n }, () => r() * 2 - 1);
    else if (m.type === 'int64') data = BigInt64Array.from({ length: n }, () => BigInt(Math.floor(r() * 4)));
    else if (m.type === 'int32') data = Int32Array.from({ length: n }, () => Math.floor(r() * 4));
    else if (m.type === 'bool') data = Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
    else throw new Error(`input ${m.name}: dtype ${m.type} not handled`);
    feeds[m.name] = new ort.Tensor(m.type, data, shape);
  }
  return feeds;
}

let bad = 0;
const args = process.argv.slice(2);
for (let i = 0; i + 1 < args.length; i += 2) {
  const [a, b] = [args[i], args[i + 1]];
  try {
    const sa = await ort.InferenceSession.create(a);
    const sb = await ort.InferenceSession.create(b);
    const feeds = inputsFor(sa, a);
    const oa = await sa.run(feeds);
    const ob = await sb.run(feeds);
    for (const name of sa.outputNames) {
      const x = oa[name].data, y = ob[name]?.data;
      if (!y || x.length !== y.length) throw new Error(`output ${name}: missing or different size`);
      const bx = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
      const by = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
      for (let k = 0; k < bx.length; ++k) if (bx[k] !== by[k]) throw new Error(`output ${name}: differs at byte ${k}`);
    }
    console.log(`same outputs: ${a}`);
  } catch (e) {
    console.log(`DIFFERENT: ${a} vs ${b}: ${e.message}`);
    ++bad;
  }
}
process.exit(bad ? 1 : 0);
