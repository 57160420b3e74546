// Embind bindings: the JS face of runtime/session.h, shaped for a JS wrapper that mirrors
// onnxruntime-web (InferenceSession.create / run / release).
//
//   const r = Module.Session.create(modelBytes /* Uint8Array */, {threads: 2, optimize: true});
//     (options.qdqRewrite: false keeps QDQ node units as written instead of integer operators)
//   if (r.code !== undefined) -> error object {code: "InvalidModel" | "Unsupported" | ..., message}
//   else r is a Session:
//     r.inputNames(), r.outputNames()            -> string[]
//     r.inputMetadata(), r.outputMetadata()      -> [{name, dtype: "float32", dims: [1, "batch", -1]}]
//     r.run(feeds[, fetches])                    -> [{name, dtype, dims, data: Float32Array...}] | error
//        feeds: [{name, dtype, dims, data}] or {name: {dtype | type, dims, data}}
//        (run is JavaScript, wasm/bindings/run_staged.js, over staging()/inputSlots()/runStaged()/releaseOutputs())
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
#include "kernels/q8_gemm/q8_gemm.h"
#include "onnx/onnx_loader.h"
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
std::string constructor_name(const val& v) {
  if (!is_object(v)) return v.typeOf().as<std::string>();
  val ctor = v["constructor"];
  if (ctor.typeOf().as<std::string>() != "function") return "object";
  val name = ctor["name"];
  return is_string(name) ? name.as<std::string>() : "object";
}
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
      val qdq = options["qdqRewrite"];
      if (!qdq.isUndefined()) {
        if (!is_boolean(qdq)) return invalid_arg("options.qdqRewrite must be a boolean");
        opts.qdq_rewrite = qdq.as<bool>();
      }
    }
    int limit = max_threads();
    opts.num_threads = requested == 0 ? std::min(limit, 4) : std::min(limit, requested);

    // The model bytes go as soon as they are parsed: the loader has copied the weights, and the
    // session's kernels pack theirs next (wasm memory never shrinks, so peaks add up for good).
    ModelBytes model;
    val err = read_model_bytes(bytes, &model);
    if (!err.isUndefined()) return err;
    Result<Model> parsed = load_onnx_model(model.data.get(), model.size);
    model.data.reset();
    if (!parsed.is_ok()) return error_value(parsed.status());
    Result<std::unique_ptr<Session>> s = Session::create(std::move(parsed).value(), opts);
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

  // run() itself is JavaScript (run_staged.js): it checks the feeds, writes a request into the staging
  // buffer, asks for the inputs' places (inputSlots()), copies each input's bytes straight there,
  // calls runStaged() once and copies each output out once. Doing the marshalling in JS rather than
  // through embind vals keeps a small model's run from being dominated by per-property JS<->wasm
  // calls; the input slots are in the session's arena (Session::input_buffers), so an input is held
  // in wasm memory once, and its memory is reused once the model is done with it.
  //
  // Staging layout, in float64 words from the start of the buffer:
  //   n_feeds, n_fetches, fetch output index x n_fetches,
  //   per feed: input index, ONNX dtype, rank, data bytes, dim x rank.
  // Returns the staging buffer's address, at least `bytes` long, or 0 when memory is short.
  double staging(double bytes) {
    if (!session_ || !(bytes >= 0) || bytes > static_cast<double>(kMaxTensorBytes)) return 0;
    const size_t need = static_cast<size_t>(bytes);
    if (need > staging_size_) {
      const size_t size = std::max<size_t>(64, (need + 63) / 64 * 64);
      staging_.reset(static_cast<uint8_t*>(std::aligned_alloc(64, size)));
      staging_size_ = staging_ ? size : 0;
      if (!staging_) return 0;
    }
    return static_cast<double>(reinterpret_cast<uintptr_t>(staging_.get()));
  }

  // Reads the request in the staging buffer and reserves the inputs' places for it. Returns the
  // address of one float64 word per feed, in request order: where that feed's bytes go (valid until
  // runStaged()), or an error object.
  val input_slots() {
    if (!session_) return released();
    if (!staging_) return invalid_arg("run request is missing");
    pending_feeds_.clear();
    pending_fetches_.clear();
    const double* words = reinterpret_cast<const double*>(staging_.get());
    const size_t n_words = staging_size_ / sizeof(double);
    size_t at = 0;
    auto next = [&](int64_t lo, int64_t hi, int64_t* out) {
      if (at >= n_words) return false;
      double w = words[at++];
      if (!(w >= static_cast<double>(lo) && w <= static_cast<double>(hi)) || std::floor(w) != w) return false;
      *out = static_cast<int64_t>(w);
      return true;
    };
    const int64_t n_inputs = static_cast<int64_t>(session_->inputs().size());
    const int64_t n_outputs = static_cast<int64_t>(session_->outputs().size());
    int64_t n_feeds = 0, n_fetches = 0;
    if (!next(0, n_inputs, &n_feeds) || !next(0, n_outputs, &n_fetches)) return invalid_arg("malformed run request");
    std::vector<std::string> fetch_names;
    for (int64_t i = 0; i < n_fetches; ++i) {
      int64_t k = 0;
      if (!next(0, n_outputs - 1, &k)) return invalid_arg("malformed run request");
      fetch_names.push_back(session_->outputs()[static_cast<size_t>(k)].name);
    }
    std::map<std::string, TensorSpec> specs;
    std::vector<int64_t> order;  // input index per feed
    for (int64_t f = 0; f < n_feeds; ++f) {
      int64_t index = 0, dtype = 0, rank = 0, nbytes = 0;
      if (!next(0, n_inputs - 1, &index) || !next(0, 64, &dtype) || !next(0, 64, &rank) ||
          !next(0, kMaxTensorBytes, &nbytes))
        return invalid_arg("malformed run request");
      Shape shape(static_cast<size_t>(rank));
      for (int64_t& d : shape)
        if (!next(0, kMaxTensorElements, &d)) return invalid_arg("malformed run request");
      const std::string& name = session_->inputs()[static_cast<size_t>(index)].name;
      const DataType dt = static_cast<DataType>(dtype);
      Result<int64_t> numel = checked_numel(shape);
      if (!numel.is_ok()) return error_value(numel.status().with_context("input '" + name + "': "));
      if (dtype_size(dt) == 0 || *numel * static_cast<int64_t>(dtype_size(dt)) != nbytes)
        return invalid_arg("malformed run request for input '" + name + "'");
      if (!specs.emplace(name, TensorSpec{dt, std::move(shape)}).second)
        return invalid_arg("input '" + name + "': fed twice");
      order.push_back(index);
    }
    Result<std::vector<Tensor>> slots = session_->input_buffers(specs);
    if (!slots.is_ok()) return error_value(slots.status());
    slot_addresses_.clear();
    for (int64_t index : order) {
      Tensor& t = (*slots)[static_cast<size_t>(index)];
      slot_addresses_.push_back(static_cast<double>(reinterpret_cast<uintptr_t>(t.raw())));
      pending_feeds_.emplace(session_->inputs()[static_cast<size_t>(index)].name, t);
    }
    pending_fetches_ = std::move(fetch_names);
    return val(static_cast<double>(reinterpret_cast<uintptr_t>(slot_addresses_.data())));
  }

  // Runs the request prepared by inputSlots(). Returns the address of the result, in float64 words:
  //   n_outputs, per output: ONNX dtype, rank, data address, data bytes, dim x rank
  // (valid until releaseOutputs() or the next run), or an error object.
  val run_staged() {
    if (!session_) return released();
    if (pending_feeds_.empty() && !session_->inputs().empty()) return invalid_arg("run request is missing");
    std::map<std::string, Tensor> feeds = std::move(pending_feeds_);
    std::vector<std::string> fetch_names = std::move(pending_fetches_);
    pending_feeds_.clear();
    pending_fetches_.clear();
    outputs_.clear();
    Result<std::vector<Tensor>> out = session_->run(feeds, fetch_names);
    if (!out.is_ok()) return error_value(out.status());
    outputs_ = std::move(out).value();
    result_.assign(1, static_cast<double>(outputs_.size()));
    for (const Tensor& t : outputs_) {
      result_.push_back(static_cast<double>(t.dtype()));
      result_.push_back(static_cast<double>(t.rank()));
      result_.push_back(static_cast<double>(reinterpret_cast<uintptr_t>(t.raw())));
      result_.push_back(static_cast<double>(t.nbytes()));
      for (int64_t d : t.shape()) result_.push_back(static_cast<double>(d));
    }
    return val(static_cast<double>(reinterpret_cast<uintptr_t>(result_.data())));
  }

  // Frees the outputs of the last run once JS has copied them.
  void release_outputs() {
    outputs_.clear();
    outputs_.shrink_to_fit();
  }

  void release() {
    session_.reset();
    staging_.reset();
    staging_size_ = 0;
    release_outputs();
    result_.clear();
    result_.shrink_to_fit();
    pending_feeds_.clear();
    pending_fetches_.clear();
  }

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
  std::unique_ptr<uint8_t, void (*)(void*)> staging_{nullptr, &std::free};
  size_t staging_size_ = 0;
  std::vector<Tensor> outputs_;  // of the last run, until release_outputs()
  std::vector<double> result_;
  std::vector<double> slot_addresses_;             // inputSlots()' answer
  std::map<std::string, Tensor> pending_feeds_;    // views of the arena slots, until runStaged()
  std::vector<std::string> pending_fetches_;
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
  // The int8 GEMM microkernels: the relaxed-dot ones where this build has them and the engine computes
  // the dot exactly (checked at start-up), else the SIMD128 / scalar ones.
  const Q8GemmConfig* relaxed = q8_gemm_relaxed_config();
  o.set("int8Gemm", std::string(relaxed ? relaxed->name : q8_gemm_config().name));
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
      .function("staging", &JsSession::staging)
      .function("inputSlots", &JsSession::input_slots)
      .function("runStaged", &JsSession::run_staged)
      .function("releaseOutputs", &JsSession::release_outputs)
      .function("release", &JsSession::release);
  emscripten::function("inspectModel", &edgeinfer::inspect_model_js);
  emscripten::function("heapStats", &edgeinfer::heap_stats);
  emscripten::function("buildInfo", &edgeinfer::build_info);
}
