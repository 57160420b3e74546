// Appended (--post-js) to the shipping module: Session.prototype.run in JavaScript.
//
// The feeds are checked here, then the request is written into the session's staging buffer and
// every input's bytes straight into its slot in the session's arena (inputSlots()); one call (runStaged)
// runs the model, and each output is copied out once into a fresh, non-shared typed array. Errors are
// returned as values, {code, message}, like every other binding. Doing this through embind vals cost a
// JS<->wasm round trip per property read, which dominated the run time of small models (and more so
// with shared memory, where each heap access re-checks the buffer).

var edgeinferDtypeCodes = {
  'float32': 1, 'uint8': 2, 'int8': 3, 'uint16': 4, 'int16': 5, 'int32': 6, 'int64': 7, 'bool': 9,
  'float16': 10, 'float64': 11, 'uint32': 12, 'uint64': 13,
};
var edgeinferDtypeNames = {};
Object.keys(edgeinferDtypeCodes).forEach(function(k) { edgeinferDtypeNames[edgeinferDtypeCodes[k]] = k; });
// The typed array that holds each dtype (onnxruntime-web's choices: bool as Uint8Array, float16 as
// Uint16Array bits).
var edgeinferTypedArrays = {
  'float32': 'Float32Array', 'float64': 'Float64Array', 'uint8': 'Uint8Array', 'int8': 'Int8Array',
  'uint16': 'Uint16Array', 'int16': 'Int16Array', 'int32': 'Int32Array', 'int64': 'BigInt64Array',
  'uint32': 'Uint32Array', 'uint64': 'BigUint64Array', 'bool': 'Uint8Array', 'float16': 'Uint16Array',
};
var edgeinferElementBytes = {
  'float32': 4, 'float64': 8, 'uint8': 1, 'int8': 1, 'uint16': 2, 'int16': 2, 'int32': 4, 'int64': 8,
  'uint32': 4, 'uint64': 8, 'bool': 1, 'float16': 2,
};

function edgeinferError(code, message) { return { code: code, message: message }; }
function edgeinferInvalid(message) { return edgeinferError('InvalidArgument', message); }

function edgeinferCtorName(v) {
  if (v === null) return 'null';
  if (typeof v != 'object') return typeof v;
  var ctor = v.constructor;
  return typeof ctor == 'function' && typeof ctor.name == 'string' ? ctor.name : 'object';
}

function edgeinferAcceptsArray(dtype, ctor) {
  if (ctor === edgeinferTypedArrays[dtype]) return true;
  if (dtype === 'uint8' && ctor === 'Uint8ClampedArray') return true;
  if (dtype === 'float16' && ctor === 'Float16Array') return true;
  // Node's Buffer is a Uint8Array subclass.
  return (dtype === 'uint8' || dtype === 'bool') && ctor === 'Buffer';
}

// Checks one feed; returns {index, dtype, dims, data, nbytes} or an error value.
function edgeinferCheckFeed(names, name, f) {
  var where = "input '" + name + "': ";
  var index = names.indexOf(name);
  if (index < 0) {
    return edgeinferInvalid("unknown input '" + name + "'; the model's inputs are " +
                            names.map(function(n) { return "'" + n + "'"; }).join(', '));
  }
  if (typeof f != 'object' || f === null) return edgeinferInvalid(where + 'feed must be an object {dtype, dims, data}');
  var dtype = f.dtype !== undefined ? f.dtype : f.type;  // onnxruntime-web's Tensor.type
  if (typeof dtype != 'string') return edgeinferInvalid(where + 'needs a string \'dtype\' ("float32", "int64", ...)');
  if (!edgeinferDtypeCodes.hasOwnProperty(dtype)) return edgeinferError('Unsupported', where + "dtype '" + dtype + "' is not supported");
  var dims = f.dims;
  if (!Array.isArray(dims)) return edgeinferInvalid(where + "needs 'dims', an array of whole numbers");
  var numel = 1;
  for (var i = 0; i < dims.length; i++) {
    var d = dims[i];
    if (typeof d != 'number' || !(d >= 0) || d > 9007199254740991 || Math.floor(d) !== d)
      return edgeinferInvalid(where + 'dims[' + i + '] is not a whole number >= 0');
    numel *= d;
  }
  var data = f.data;
  var want = edgeinferTypedArrays[dtype];
  if (!ArrayBuffer.isView(data) || data.BYTES_PER_ELEMENT === undefined)
    return edgeinferInvalid(where + "'data' must be a " + want + ', got ' + edgeinferCtorName(data));
  var ctor = edgeinferCtorName(data);
  if (!edgeinferAcceptsArray(dtype, ctor)) return edgeinferInvalid(where + 'dtype ' + dtype + ' needs a ' + want + ', got ' + ctor);
  var nbytes = numel * edgeinferElementBytes[dtype];
  if (data.byteLength !== nbytes) {
    return edgeinferInvalid(where + 'data has ' + (data.byteLength / edgeinferElementBytes[dtype]) + ' elements, dims [' +
                            dims.join(',') + '] need ' + numel);
  }
  return { index: index, dtype: dtype, dims: dims, data: data, nbytes: nbytes };
}

function edgeinferRun(feeds, fetches) {
  if (this.isReleased()) return edgeinferInvalid('the session has been released');
  var io = this.edgeinferIo || (this.edgeinferIo = { inputs: this.inputNames(), outputs: this.outputNames() });

  var fetchIndices = [];
  if (fetches !== undefined && fetches !== null) {
    if (!Array.isArray(fetches)) return edgeinferInvalid('fetches must be an array of output names');
    for (var i = 0; i < fetches.length; i++) {
      if (typeof fetches[i] != 'string') return edgeinferInvalid('fetches[' + i + '] is not a string');
      var k = io.outputs.indexOf(fetches[i]);
      if (k < 0) return edgeinferInvalid("unknown output '" + fetches[i] + "'");
      fetchIndices.push(k);
    }
  }

  // {name, feed} pairs from either accepted form.
  var items = [];
  if (Array.isArray(feeds)) {
    for (var i = 0; i < feeds.length; i++) {
      var f = feeds[i];
      var name = typeof f == 'object' && f !== null ? f.name : undefined;
      if (typeof name != 'string') return edgeinferInvalid('feeds[' + i + "] needs a string 'name'");
      items.push([name, f]);
    }
  } else if (typeof feeds == 'object' && feeds !== null) {
    Object.keys(feeds).forEach(function(name) { items.push([name, feeds[name]]); });
  } else {
    return edgeinferInvalid('feeds must be an array of {name, dtype, dims, data} or an object keyed by input name');
  }
  var checked = [];
  var seen = {};
  for (var i = 0; i < items.length; i++) {
    if (seen.hasOwnProperty(items[i][0])) return edgeinferInvalid("input '" + items[i][0] + "': fed twice");
    seen[items[i][0]] = true;
    var c = edgeinferCheckFeed(io.inputs, items[i][0], items[i][1]);
    if (c.code !== undefined) return c;
    checked.push(c);
  }

  // The request (float64 words; layout in embind.cc, JsSession::staging). The input bytes go straight
  // into the session's arena (inputSlots()), not through the staging buffer: held once in wasm memory.
  var words = 2 + fetchIndices.length;
  for (var i = 0; i < checked.length; i++) words += 4 + checked[i].dims.length;
  var base = this.staging(words * 8);
  if (!base) return edgeinferError('ResourceExhausted', 'cannot allocate ' + words * 8 + ' bytes for the run request in wasm memory');
  var request = new Float64Array(wasmMemory.buffer, base, words);
  var w = 0;
  request[w++] = checked.length;
  request[w++] = fetchIndices.length;
  for (var i = 0; i < fetchIndices.length; i++) request[w++] = fetchIndices[i];
  for (var i = 0; i < checked.length; i++) {
    var c = checked[i];
    request[w++] = c.index;
    request[w++] = edgeinferDtypeCodes[c.dtype];
    request[w++] = c.dims.length;
    request[w++] = c.nbytes;
    for (var j = 0; j < c.dims.length; j++) request[w++] = c.dims[j];
  }
  var slots = this.inputSlots();
  if (typeof slots != 'number') return slots;
  var buffer = wasmMemory.buffer;  // after inputSlots(): memory may have grown for the arena
  var heap = new Uint8Array(buffer);
  var addresses = new Float64Array(buffer, slots, checked.length);
  for (var i = 0; i < checked.length; i++) {
    var c = checked[i];
    if (c.nbytes) heap.set(new Uint8Array(c.data.buffer, c.data.byteOffset, c.nbytes), addresses[i]);
  }

  var result = this.runStaged();
  if (typeof result != 'number') return result;
  buffer = wasmMemory.buffer;  // workers may have grown memory during the run
  heap = new Uint8Array(buffer);
  var n = new Float64Array(buffer, result, 1)[0];
  var outNames = fetchIndices.length ? fetchIndices.map(function(k) { return io.outputs[k]; }) : io.outputs;
  var out = [];
  var r = result / 8 + 1;
  var words64 = new Float64Array(buffer);
  for (var i = 0; i < n; i++) {
    var dtype = edgeinferDtypeNames[words64[r++]] || 'uint8';
    var rank = words64[r++];
    var ptr = words64[r++];
    var nbytes = words64[r++];
    var dims = [];
    for (var j = 0; j < rank; j++) dims.push(words64[r++]);
    var copy = heap.slice(ptr, ptr + nbytes);  // a new, non-shared ArrayBuffer
    var Ctor = globalThis[edgeinferTypedArrays[dtype]] || Uint8Array;
    out.push({ name: outNames[i], dtype: dtype, dims: dims, data: new Ctor(copy.buffer) });
  }
  this.releaseOutputs();
  return out;
}

Module['onRuntimeInitialized'] = (function(previous) {
  return function() {
    Module['Session'].prototype.run = edgeinferRun;
    if (previous) previous.apply(this, arguments);
  };
})(Module['onRuntimeInitialized']);
