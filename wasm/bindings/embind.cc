// Embind bindings: the JS face of runtime/session.h, shaped for a JS wrapper that mirrors
// onnxruntime-web (InferenceSession.create / run / release).
//
//   const r = Module.Session.create(modelBytes /* Uint8Array */, {threads: 2, optimize: true});
//   if (r.code !== undefined) -> error object {code: "InvalidModel" | "Unsupported" | ..., message}
//   else r is a Session:
//     r.inputNames(), r.outputNames()            -> string[]
//     r.inputMetadata(), r.outputMetadata()      -> [{name, dtype: "float32", dims: [1, "batch", -1]}]
//     r.run(feeds[, fetches])                    -> [{name, dtype, dims, data: Float32Array...}] | error
//        feeds: [{name, dtype, dims, data}] or {name: {dtype | type, dims, data}}
//     r.info(), r.memory(), r.numThreads()
//     r.release()  frees the native session (idempotent; later calls return an error object);
//     r.delete()   frees the small JS handle itself (Embind), after release().
//   Module.inspectModel(bytes) -> model info | error;  Module.heapStats() -> {heapBytes, mallocBytes}.
//
// Errors are values all the way: nothing here throws, and every JS value is type-checked before a
// property of it is read, so a bad argument cannot raise a JS exception through C++ frames either.
#include <emscripten/bind.h>
#include <emscripten/em_asm.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "runtime/session.h"

namespace edgeinfer {
namespace {

using emscripten::val;

val error_value(StatusCode code, const std::string& message) {
  val e = val::object();
  e.set("code", std::string(status_code_name(code)));
  e.set("message", message);
  return e;
}
val error_value(const Status& s) { return error_value(s.code(), s.message()); }
val invalid_arg(const std::string& message) { return error_value(StatusCode::kInvalidArgument, message); }

// --- JS value inspection that never throws ---

bool is_object(const val& v) { return v.typeOf().as<std::string>() == "object" && !v.isNull(); }
bool is_string(const val& v) { return v.typeOf().as<std::string>() == "string"; }
bool is_number(const val& v) { return v.typeOf().as<std::string>() == "number"; }
bool is_boolean(const val& v) { return v.typeOf().as<std::string>() == "boolean"; }
bool is_array(const val& v) { return val::global("Array").call<bool>("isArray", v); }
// A typed array (not a DataView): has BYTES_PER_ELEMENT.
bool is_typed_array(const val& v) {
  return is_object(v) && val::global("ArrayBuffer").call<bool>("isView", v) &&
         !v["BYTES_PER_ELEMENT"].isUndefined();
}
std::string constructor_name(const val& v) {
  if (!is_object(v)) return v.typeOf().as<std::string>();
  val ctor = v["constructor"];
  if (ctor.typeOf().as<std::string>() != "function") return "object";
  val name = ctor["name"];
  return is_string(name) ? name.as<std::string>() : "object";
}
// A property of an object, or undefined when the object has none (getters are the caller's business).
val prop(const val& obj, const char* key) { return is_object(obj) ? obj[key] : val::undefined(); }
size_t array_length(const val& arr) { return arr["length"].as<size_t>(); }

// Bytes of an ArrayBuffer or any ArrayBuffer view, as a Uint8Array over the same memory.
bool bytes_view(const val& v, val* out) {
  if (!is_object(v)) return false;
  val u8 = val::global("Uint8Array");
  if (v.instanceof(val::global("ArrayBuffer")) ||
      (!val::global("SharedArrayBuffer").isUndefined() && v.instanceof(val::global("SharedArrayBuffer")))) {
    *out = u8.new_(v);
    return true;
  }
  if (val::global("ArrayBuffer").call<bool>("isView", v)) {
    *out = u8.new_(v["buffer"], v["byteOffset"], v["byteLength"]);
    return true;
  }
  return false;
}

// A Uint8Array over wasm memory (built fresh each time: memory growth replaces the buffer).
val heap_bytes(const void* p, size_t n) {
  return val(emscripten::typed_memory_view(n, static_cast<const uint8_t*>(p)));
}

// --- dtypes ---

bool parse_dtype(const std::string& name, DataType* out) {
  static const DataType kAll[] = {DataType::kFloat32, DataType::kUint8,  DataType::kInt8,    DataType::kUint16,
                                  DataType::kInt16,   DataType::kInt32,  DataType::kInt64,   DataType::kBool,
                                  DataType::kFloat16, DataType::kFloat64, DataType::kUint32, DataType::kUint64};
  for (DataType t : kAll) {
    if (name == dtype_name(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

// The typed array that holds a dtype in JS (onnxruntime-web's choices: bool as Uint8Array, float16
// as Uint16Array bits).
const char* typed_array_name(DataType t) {
  switch (t) {
    case DataType::kFloat32: return "Float32Array";
    case DataType::kFloat64: return "Float64Array";
    case DataType::kUint8: return "Uint8Array";
    case DataType::kInt8: return "Int8Array";
    case DataType::kUint16: return "Uint16Array";
    case DataType::kInt16: return "Int16Array";
    case DataType::kInt32: return "Int32Array";
    case DataType::kInt64: return "BigInt64Array";
    case DataType::kUint32: return "Uint32Array";
    case DataType::kUint64: return "BigUint64Array";
    case DataType::kBool: return "Uint8Array";
    case DataType::kFloat16: return "Uint16Array";
    default: return nullptr;
  }
}

bool accepts_typed_array(DataType t, const std::string& ctor) {
  const char* want = typed_array_name(t);
  if (want && ctor == want) return true;
  if (t == DataType::kUint8 && ctor == "Uint8ClampedArray") return true;
  if (t == DataType::kFloat16 && ctor == "Float16Array") return true;
  // Node's Buffer is a Uint8Array subclass.
  if ((t == DataType::kUint8 || t == DataType::kBool) && ctor == "Buffer") return true;
  return false;
}

// --- conversions out ---

val dims_value(const Shape& shape, const std::vector<std::string>* names) {
  val dims = val::array();
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] >= 0) {
      dims.call<void>("push", static_cast<double>(shape[i]));
    } else if (names && i < names->size() && !(*names)[i].empty()) {
      dims.call<void>("push", (*names)[i]);
    } else {
      dims.call<void>("push", -1);
    }
  }
  return dims;
}

val io_value(const IoInfo& io) {
  val o = val::object();
  o.set("name", io.name);
  o.set("dtype", std::string(dtype_name(io.dtype)));
  o.set("dims", dims_value(io.shape, &io.dim_names));
  return o;
}

val model_info_value(const ModelInfo& info) {
  val o = val::object();
  o.set("irVersion", static_cast<double>(info.ir_version));
  val opsets = val::object();
  for (const auto& [domain, version] : info.opsets) opsets.set(domain, static_cast<double>(version));
  o.set("opsets", opsets);
  o.set("producer", info.producer);
  val counts = val::object();
  for (const auto& [op, n] : info.op_counts) counts.set(op, n);
  o.set("opCounts", counts);
  o.set("parameterCount", static_cast<double>(info.parameter_count));
  val unsupported = val::array();
  for (const std::string& op : info.unsupported_ops) unsupported.call<void>("push", op);
  o.set("unsupportedOps", unsupported);
  return o;
}

// One copy out of wasm memory into a fresh (non-shared) JS typed array of the output's dtype.
val tensor_value(const std::string& name, const Tensor& t) {
  val o = val::object();
  o.set("name", name);
  o.set("dtype", std::string(dtype_name(t.dtype())));
  o.set("dims", dims_value(t.shape(), nullptr));
  const char* ctor = typed_array_name(t.dtype());
  val copy = t.nbytes() ? heap_bytes(t.raw(), t.nbytes()).call<val>("slice") : val::global("Uint8Array").new_(0);
  o.set("data", val::global(ctor ? ctor : "Uint8Array").new_(copy["buffer"]));
  return o;
}

// --- model bytes in ---

// Copies the caller's bytes into wasm memory once; the session keeps what it needs and the copy goes.
struct ModelBytes {
  std::unique_ptr<uint8_t, void (*)(void*)> data{nullptr, &std::free};
  size_t size = 0;
};

val read_model_bytes(const val& bytes, ModelBytes* out) {
  val src = val::undefined();
  if (!bytes_view(bytes, &src))
    return invalid_arg("model must be a Uint8Array or ArrayBuffer of ONNX bytes, got " + constructor_name(bytes));
  out->size = array_length(src);
  if (out->size == 0) return error_value(StatusCode::kInvalidModel, "model is empty (0 bytes)");
  out->data.reset(static_cast<uint8_t*>(std::malloc(out->size)));
  if (!out->data) return error_value(StatusCode::kResourceExhausted, "cannot allocate " + std::to_string(out->size) +
                                                                          " bytes for the model in wasm memory");
  heap_bytes(out->data.get(), out->size).call<void>("set", src);
  return val::undefined();
}

// Threads a new session may start: std::thread needs an idle prestarted worker (a thread created
// without one would only start once the main thread returns to the event loop, and the pool's
// join/parallel_for would wait for it forever).
int max_threads() {
#ifdef __EMSCRIPTEN_PTHREADS__
  int idle = EM_ASM_INT({ return (typeof PThread == 'object' && PThread.unusedWorkers) ? PThread.unusedWorkers.length : 0; });
  return 1 + std::max(0, idle);
#else
  return 1;
#endif
}

class JsSession {
 public:
  explicit JsSession(std::unique_ptr<Session> s, int threads) : session_(std::move(s)), threads_(threads) {}

  static val create(val bytes, val options) {
    SessionOptions opts;
    int requested = 0;  // 0: automatic
    if (!options.isUndefined() && !options.isNull()) {
      if (!is_object(options)) return invalid_arg("options must be an object");
      val threads = options["threads"];
      if (!threads.isUndefined()) {
        if (!is_number(threads) || !(threads.as<double>() >= 0) || threads.as<double>() > 1024 ||
            std::floor(threads.as<double>()) != threads.as<double>())
          return invalid_arg("options.threads must be a whole number >= 0 (0 = automatic)");
        requested = threads.as<int>();
      }
      val optimize = options["optimize"];
      if (!optimize.isUndefined()) {
        if (!is_boolean(optimize)) return invalid_arg("options.optimize must be a boolean");
        opts.optimize = optimize.as<bool>();
      }
    }
    int limit = max_threads();
    opts.num_threads = requested == 0 ? std::min(limit, 4) : std::min(limit, requested);

    ModelBytes model;
    val err = read_model_bytes(bytes, &model);
    if (!err.isUndefined()) return err;
    Result<std::unique_ptr<Session>> s = Session::create(model.data.get(), model.size, opts);
    model.data.reset();
    if (!s.is_ok()) return error_value(s.status());
    return val(std::make_unique<JsSession>(std::move(s).value(), opts.num_threads));
  }
  static val create1(val bytes) { return create(std::move(bytes), val::undefined()); }

  val input_names() const { return names(true); }
  val output_names() const { return names(false); }
  val input_metadata() const { return metadata(true); }
  val output_metadata() const { return metadata(false); }

  val info() const {
    if (!session_) return released();
    return model_info_value(session_->info());
  }

  val memory() const {
    if (!session_) return released();
    MemoryStats m = session_->memory();
    val o = val::object();
    o.set("weightsBytes", static_cast<double>(m.weights_bytes));
    o.set("arenaBytes", static_cast<double>(m.arena_bytes));
    o.set("peakBytes", static_cast<double>(m.peak_bytes));
    return o;
  }

  int num_threads() const { return session_ ? threads_ : 0; }
  bool released_flag() const { return !session_; }

  val run(val feeds, val fetches) {
    if (!session_) return released();
    std::vector<std::string> fetch_names;
    if (!fetches.isUndefined() && !fetches.isNull()) {
      if (!is_array(fetches)) return invalid_arg("fetches must be an array of output names");
      size_t n = array_length(fetches);
      for (size_t i = 0; i < n; ++i) {
        val f = fetches[i];
        if (!is_string(f)) return invalid_arg("fetches[" + std::to_string(i) + "] is not a string");
        fetch_names.push_back(f.as<std::string>());
      }
    }

    // Gather {name, feed object} pairs from either accepted form.
    std::vector<std::pair<std::string, val>> items;
    if (is_array(feeds)) {
      size_t n = array_length(feeds);
      for (size_t i = 0; i < n; ++i) {
        val f = feeds[i];
        val name = prop(f, "name");
        if (!is_string(name)) return invalid_arg("feeds[" + std::to_string(i) + "] needs a string 'name'");
        items.emplace_back(name.as<std::string>(), f);
      }
    } else if (is_object(feeds)) {
      val keys = val::global("Object").call<val>("keys", feeds);
      size_t n = array_length(keys);
      for (size_t i = 0; i < n; ++i) {
        std::string key = keys[i].as<std::string>();
        items.emplace_back(key, feeds[key]);
      }
    } else {
      return invalid_arg("feeds must be an array of {name, dtype, dims, data} or an object keyed by input name");
    }

    // Inputs are copied once, straight from the caller's typed arrays into aligned wasm buffers that
    // the session reads through views.
    std::vector<std::unique_ptr<void, void (*)(void*)>> buffers;
    std::map<std::string, Tensor> tensors;
    for (auto& [name, f] : items) {
      std::string where = "input '" + name + "': ";
      if (tensors.count(name)) return invalid_arg(where + "fed twice");
      if (!is_object(f)) return invalid_arg(where + "feed must be an object {dtype, dims, data}");
      val dtype_v = prop(f, "dtype");
      if (dtype_v.isUndefined()) dtype_v = prop(f, "type");  // onnxruntime-web's Tensor.type
      if (!is_string(dtype_v)) return invalid_arg(where + "needs a string 'dtype' (\"float32\", \"int64\", ...)");
      DataType dtype;
      if (!parse_dtype(dtype_v.as<std::string>(), &dtype))
        return error_value(StatusCode::kUnsupported, where + "dtype '" + dtype_v.as<std::string>() + "' is not supported");
      val dims_v = prop(f, "dims");
      if (!is_array(dims_v)) return invalid_arg(where + "needs 'dims', an array of whole numbers");
      Shape shape;
      size_t rank = array_length(dims_v);
      for (size_t i = 0; i < rank; ++i) {
        val d = dims_v[i];
        double x = is_number(d) ? d.as<double>() : -1.0;
        if (!(x >= 0) || x > 9007199254740991.0 || std::floor(x) != x)
          return invalid_arg(where + "dims[" + std::to_string(i) + "] is not a whole number >= 0");
        shape.push_back(static_cast<int64_t>(x));
      }
      Result<int64_t> numel = checked_numel(shape);
      if (!numel.is_ok()) return error_value(numel.status().with_context(where));
      int64_t nbytes = *numel * static_cast<int64_t>(dtype_size(dtype));
      if (nbytes > kMaxTensorBytes) return error_value(StatusCode::kResourceExhausted, where + "tensor too large");
      val data = prop(f, "data");
      if (!is_typed_array(data))
        return invalid_arg(where + "'data' must be a " + typed_array_name(dtype) + ", got " + constructor_name(data));
      std::string ctor = constructor_name(data);
      if (!accepts_typed_array(dtype, ctor))
        return invalid_arg(where + "dtype " + dtype_name(dtype) + " needs a " + typed_array_name(dtype) + ", got " + ctor);
      double have = data["byteLength"].as<double>();
      if (have != static_cast<double>(nbytes))
        return invalid_arg(where + "data has " + std::to_string(static_cast<int64_t>(have) / static_cast<int64_t>(dtype_size(dtype))) +
                           " elements, dims " + shape_to_string(shape) + " need " + std::to_string(*numel));
      void* p = std::aligned_alloc(64, static_cast<size_t>(std::max<int64_t>(64, (nbytes + 63) / 64 * 64)));
      if (!p) return error_value(StatusCode::kResourceExhausted, where + "cannot allocate " + std::to_string(nbytes) + " bytes");
      buffers.emplace_back(p, &std::free);
      if (nbytes > 0) {
        val src = val::undefined();
        bytes_view(data, &src);
        heap_bytes(p, static_cast<size_t>(nbytes)).call<void>("set", src);
      }
      tensors.emplace(name, Tensor::view(dtype, std::move(shape), p));
    }

    Result<std::vector<Tensor>> out = session_->run(tensors, fetch_names);
    tensors.clear();
    buffers.clear();
    if (!out.is_ok()) return error_value(out.status());
    std::vector<std::string> out_names = fetch_names;
    if (out_names.empty())
      for (const IoInfo& io : session_->outputs()) out_names.push_back(io.name);
    if (out_names.size() != out->size())
      return error_value(StatusCode::kInternal, "session returned " + std::to_string(out->size()) + " outputs for " +
                                                    std::to_string(out_names.size()) + " names");
    val result = val::array();
    for (size_t i = 0; i < out->size(); ++i) result.call<void>("push", tensor_value(out_names[i], (*out)[i]));
    return result;
  }
  val run1(val feeds) { return run(std::move(feeds), val::undefined()); }

  void release() { session_.reset(); }

 private:
  static val released() { return invalid_arg("the session has been released"); }

  val names(bool inputs) const {
    val arr = val::array();
    if (!session_) return arr;
    for (const IoInfo& io : inputs ? session_->inputs() : session_->outputs()) arr.call<void>("push", io.name);
    return arr;
  }
  val metadata(bool inputs) const {
    val arr = val::array();
    if (!session_) return arr;
    for (const IoInfo& io : inputs ? session_->inputs() : session_->outputs()) arr.call<void>("push", io_value(io));
    return arr;
  }

  std::unique_ptr<Session> session_;
  int threads_ = 1;
};

val inspect_model_js(val bytes) {
  ModelBytes model;
  val err = read_model_bytes(bytes, &model);
  if (!err.isUndefined()) return err;
  Result<ModelInfo> info = inspect_model(model.data.get(), model.size);
  if (!info.is_ok()) return error_value(info.status());
  return model_info_value(*info);
}

// Whole wasm memory (grows, never shrinks) and bytes currently handed out by malloc: the second is
// what a leak check watches.
val heap_stats() {
  struct mallinfo mi = mallinfo();
  val o = val::object();
  o.set("heapBytes", static_cast<double>(emscripten_get_heap_size()));
  o.set("mallocBytes", static_cast<double>(static_cast<unsigned>(mi.uordblks)));
  return o;
}

val build_info() {
  val o = val::object();
#if defined(__wasm_simd128__)
  o.set("simd", true);
#else
  o.set("simd", false);
#endif
#ifdef __EMSCRIPTEN_PTHREADS__
  o.set("threads", true);
#else
  o.set("threads", false);
#endif
  o.set("maxThreads", max_threads());
  return o;
}

}  // namespace
}  // namespace edgeinfer

EMSCRIPTEN_BINDINGS(edgeinfer) {
  using edgeinfer::JsSession;
  emscripten::class_<JsSession>("Session")
      .class_function("create", &JsSession::create)
      .class_function("create", &JsSession::create1)
      .function("inputNames", &JsSession::input_names)
      .function("outputNames", &JsSession::output_names)
      .function("inputMetadata", &JsSession::input_metadata)
      .function("outputMetadata", &JsSession::output_metadata)
      .function("info", &JsSession::info)
      .function("memory", &JsSession::memory)
      .function("numThreads", &JsSession::num_threads)
      .function("isReleased", &JsSession::released_flag)
      .function("run", &JsSession::run)
      .function("run", &JsSession::run1)
      .function("release", &JsSession::release);
  emscripten::function("inspectModel", &edgeinfer::inspect_model_js);
  emscripten::function("heapStats", &edgeinfer::heap_stats);
  emscripten::function("buildInfo", &edgeinfer::build_info);
}
