// A minimal protobuf writer for ONNX ModelProto, and a seeded random generator: test models are built
// byte by byte here (an encoder independent of the runtime's reader) by the JS and wasm test suites.

export class Pb {
  constructor() { this.bytes = []; }
  varint(v) {
    let n = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n) b |= 0x80;
      this.bytes.push(b);
    } while (n);
    return this;
  }
  tag(field, wire) { return this.varint((field << 3) | wire); }
  int(field, v) { return this.tag(field, 0).varint(v); }
  bytesField(field, u8) { this.tag(field, 2).varint(u8.length); for (const b of u8) this.bytes.push(b); return this; }
  str(field, s) { return this.bytesField(field, new TextEncoder().encode(s)); }
  msg(field, pb) { return this.bytesField(field, pb.finish()); }
  float(field, f) {
    this.tag(field, 5);
    for (const x of new Uint8Array(new Float32Array([f]).buffer)) this.bytes.push(x);
    return this;
  }
  finish() { return Uint8Array.from(this.bytes); }
}

export const ONNX_TYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };

// TensorProto with raw_data.
export function tensorProto(name, dtype, dims, typed) {
  const t = new Pb();
  for (const d of dims) t.int(1, d);
  t.int(2, ONNX_TYPE[dtype]);
  t.str(8, name);
  t.bytesField(9, new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
  return t;
}

// ValueInfoProto; dims entries are numbers or symbolic names.
export function valueInfo(name, dtype, dims) {
  const shape = new Pb();
  for (const d of dims) shape.msg(1, typeof d === 'string' ? new Pb().str(2, d) : new Pb().int(1, d));
  return new Pb().str(1, name).msg(2, new Pb().msg(1, new Pb().int(1, ONNX_TYPE[dtype]).msg(2, shape)));
}

export function node(op, inputs, outputs, name, attrs = []) {
  const n = new Pb();
  for (const i of inputs) n.str(1, i);
  for (const o of outputs) n.str(2, o);
  n.str(3, name).str(4, op);
  for (const a of attrs) n.msg(5, a);
  return n;
}
export const attrInt = (name, v) => new Pb().str(1, name).int(3, v).int(20, 2);
export const attrFloat = (name, v) => new Pb().str(1, name).float(2, v).int(20, 1);

// buildModel({nodes: [[op, inputs, outputs, name, attrs]], inits: [[name, dtype, dims, typed]],
//             inputs: [[name, dtype, dims]], outputs: [[name, dtype, dims]]}) -> ONNX bytes (opset 17)
export function buildModel({ nodes, inits = [], inputs, outputs, producer = 'edgeinfer-js-tests', graph = 'g', opset = 17 }) {
  const g = new Pb();
  for (const n of nodes) g.msg(1, node(...n));
  g.str(2, graph);
  for (const i of inits) g.msg(5, tensorProto(...i));
  for (const i of inputs) g.msg(11, valueInfo(...i));
  for (const o of outputs) g.msg(12, valueInfo(...o));
  const m = new Pb();
  m.int(1, 8).str(2, producer).msg(7, g).msg(8, new Pb().str(1, '').int(2, opset));
  return m.finish();
}

// Deterministic uniform [0, 1) generator (mulberry32).
export function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
