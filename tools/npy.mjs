// NumPy .npy read/write for Node scripts (the tensor exchange format of the project; see wasm/core/npy.h).
import fs from 'node:fs';

const DTYPES = {
  '<f4': ['float32', Float32Array], '<f8': ['float64', Float64Array], '<i8': ['int64', BigInt64Array],
  '<i4': ['int32', Int32Array], '<i2': ['int16', Int16Array], '|i1': ['int8', Int8Array],
  '|u1': ['uint8', Uint8Array], '|b1': ['bool', Uint8Array], '<u2': ['uint16', Uint16Array],
  '<u4': ['uint32', Uint32Array], '<u8': ['uint64', BigUint64Array],
};

export function parseNpy(buf, name = 'npy') {
  const u8 = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  if (u8.length < 10 || u8[0] !== 0x93 || String.fromCharCode(...u8.subarray(1, 6)) !== 'NUMPY')
    throw new Error(`${name}: not a .npy file`);
  const major = u8[6];
  const view = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(u8.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !(descr in DTYPES) || fortran || shapeText === undefined)
    throw new Error(`${name}: unsupported .npy header ${header.trim()}`);
  const dims = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const [dtype, Ctor] = DTYPES[descr];
  const count = dims.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const bytes = u8.slice(offset, offset + count * Ctor.BYTES_PER_ELEMENT);
  if (bytes.length !== count * Ctor.BYTES_PER_ELEMENT) throw new Error(`${name}: truncated data`);
  return { dtype, dims, data: new Ctor(bytes.buffer, 0, count) };
}

export function readNpy(file) {
  return parseNpy(fs.readFileSync(file), file);
}
