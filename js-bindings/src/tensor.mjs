// Tensor: the onnxruntime-web shaped value that crosses the API (CPU data only).
//   new Tensor(type, data, dims?)   new Tensor(data, dims?)   (type inferred from the typed array)

// The typed array that holds each dtype (onnxruntime-web's choices: bool as Uint8Array, float16 as
// Uint16Array bits, int64 as BigInt64Array).
export const TYPED_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
  float16: Uint16Array,
};

// Typed array constructor name -> dtype, for new Tensor(data, dims).
const TYPE_OF_ARRAY = new Map([
  [Float32Array, 'float32'], [Float64Array, 'float64'], [Int8Array, 'int8'], [Uint8Array, 'uint8'],
  [Uint8ClampedArray, 'uint8'], [Int16Array, 'int16'], [Uint16Array, 'uint16'], [Int32Array, 'int32'],
  [Uint32Array, 'uint32'], [BigInt64Array, 'int64'], [BigUint64Array, 'uint64'],
]);

function typedArrayType(data) {
  for (const [Ctor, type] of TYPE_OF_ARRAY) if (data instanceof Ctor) return type;
  return undefined;
}

// Typed arrays a dtype accepts as they are (no copy).
function accepts(type, data) {
  const Ctor = TYPED_ARRAYS[type];
  if (data instanceof Ctor) return true;
  if (type === 'uint8' && data instanceof Uint8ClampedArray) return true;
  if (type === 'float16' && typeof Float16Array === 'function' && data instanceof Float16Array) return true;
  return false;
}

// A plain JS array converted to the dtype's typed array (numbers, bigints or booleans).
function fromArray(type, arr) {
  const Ctor = TYPED_ARRAYS[type];
  if (type === 'int64' || type === 'uint64') {
    return Ctor.from(arr, (v) => (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)))));
  }
  if (type === 'bool') return Uint8Array.from(arr, (v) => (v ? 1 : 0));
  if (type === 'float16') throw new TypeError('a float16 tensor needs a Uint16Array of half-float bits');
  return Ctor.from(arr, Number);
}

export function checkDims(dims, where = 'dims') {
  if (!Array.isArray(dims) && !(ArrayBuffer.isView(dims) && !(dims instanceof DataView))) {
    throw new TypeError(`${where} must be an array of whole numbers`);
  }
  const out = [];
  for (let i = 0; i < dims.length; ++i) {
    const d = typeof dims[i] === 'bigint' ? Number(dims[i]) : dims[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`${where}[${i}] = ${String(dims[i])} is not a whole number >= 0`);
    }
    out.push(d);
  }
  return out;
}

export const sizeOf = (dims) => dims.reduce((a, b) => a * b, 1);

export class Tensor {
  constructor(arg0, arg1, arg2) {
    let type;
    let data;
    let dims;
    if (typeof arg0 === 'string') {
      [type, data, dims] = [arg0, arg1, arg2];
      if (!Object.prototype.hasOwnProperty.call(TYPED_ARRAYS, type)) {
        throw new TypeError(`unsupported tensor type '${type}' (supported: ${Object.keys(TYPED_ARRAYS).join(', ')})`);
      }
      if (Array.isArray(data)) data = fromArray(type, data);
      else if (!accepts(type, data)) {
        const got = data && data.constructor ? data.constructor.name : typeof data;
        throw new TypeError(`a ${type} tensor needs a ${TYPED_ARRAYS[type].name} (or a plain array), got ${got}`);
      }
    } else {
      [data, dims] = [arg0, arg1];
      type = typedArrayType(data);
      if (type === undefined) {
        if (Array.isArray(data) && data.every((v) => typeof v === 'boolean') && data.length) {
          type = 'bool';
          data = fromArray('bool', data);
        } else if (Array.isArray(data)) {
          type = 'float32';
          data = fromArray('float32', data);
        } else {
          throw new TypeError('tensor data must be a typed array or a plain array');
        }
      }
    }
    dims = dims === undefined ? [data.length] : checkDims(dims);
    const size = sizeOf(dims);
    if (size !== data.length) {
      throw new RangeError(`tensor data has ${data.length} elements, dims [${dims.join(', ')}] need ${size}`);
    }
    this.type = type;
    this.data = data;
    this.dims = Object.freeze(dims);
    this.size = size;
    this.location = 'cpu';
  }

  getData() { return Promise.resolve(this.data); }
  reshape(dims) { return new Tensor(this.type, this.data, dims); }
  dispose() {}
}
