#include "runtime/session.h"

#include <algorithm>
#include <mutex>

#include "onnx/onnx_loader.h"
#include "ops/op.h"
#include "runtime/executor.h"
#include "runtime/optimizer.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

namespace {

constexpr int64_t kMinOpset = 7;
constexpr int64_t kMaxOpset = 21;

void count_ops(const Graph& g, ModelInfo& info) {
  for (const Node& n : g.nodes) {
    std::string key = n.domain.empty() ? n.op_type : n.domain + ":" + n.op_type;
    ++info.op_counts[key];
    if (!find_op(n.domain, n.op_type) &&
        std::find(info.unsupported_ops.begin(), info.unsupported_ops.end(), key) == info.unsupported_ops.end())
      info.unsupported_ops.push_back(key);
    for (const Attribute& a : n.attrs.all()) {
      if (a.g) count_ops(*a.g, info);
      for (const auto& sg : a.graphs) count_ops(*sg, info);
    }
  }
}

int64_t count_parameters(const Graph& g) {
  int64_t n = 0;
  for (const Value& v : g.values)
    if (v.is_initializer && !v.initializer.empty()) n += v.initializer.numel();
  for (const Node& node : g.nodes)
    for (const Attribute& a : node.attrs.all()) {
      if (a.type == AttrType::kTensor && node.op_type == "Constant") n += a.t.numel();
      if (a.g) n += count_parameters(*a.g);
      for (const auto& sg : a.graphs) n += count_parameters(*sg);
    }
  return n;
}

size_t initializer_bytes(const Graph& g) {
  size_t n = 0;
  for (const Value& v : g.values)
    if (v.is_initializer && v.initializer.owns_data()) n += v.initializer.nbytes();
  for (const Node& node : g.nodes)
    for (const Attribute& a : node.attrs.all()) {
      if (a.g) n += initializer_bytes(*a.g);
      for (const auto& sg : a.graphs) n += initializer_bytes(*sg);
    }
  return n;
}

ModelInfo make_info(const Model& model) {
  ModelInfo info;
  info.ir_version = model.ir_version;
  info.opsets = model.opsets;
  info.producer = model.producer_name + (model.producer_version.empty() ? "" : " " + model.producer_version);
  count_ops(model.graph, info);
  info.parameter_count = count_parameters(model.graph);
  return info;
}

IoInfo io_info(const Value& v) {
  IoInfo io;
  io.name = v.name;
  io.dtype = v.dtype;
  if (v.has_shape) {
    io.shape = v.dims;
    io.dim_names = v.dim_params;
    io.dim_names.resize(io.shape.size());
  }
  return io;
}

}  // namespace

class SessionImpl {
 public:
  Model model;
  SessionOptions options;
  ModelInfo info;
  OptimizerReport optimizer_report;
  std::vector<IoInfo> inputs, outputs;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<GraphExecutor> executor;
  std::mutex run_mutex;  // concurrent run() calls on one session are serialised

  Status validate_feed(const IoInfo& io, const Tensor& t) const {
    if (io.dtype != DataType::kUndefined && t.dtype() != io.dtype)
      return invalid_argument("input '" + io.name + "' has dtype " + dtype_name(t.dtype()) + ", the model expects " +
                              dtype_name(io.dtype));
    if (!io.shape.empty() || !io.dim_names.empty()) {
      if (t.shape().size() != io.shape.size())
        return invalid_argument("input '" + io.name + "' has shape " + shape_to_string(t.shape()) +
                                ", the model expects rank " + std::to_string(io.shape.size()) + " " +
                                shape_to_string(io.shape));
      for (size_t d = 0; d < io.shape.size(); ++d)
        if (io.shape[d] >= 0 && t.shape()[d] != io.shape[d])
          return invalid_argument("input '" + io.name + "' has shape " + shape_to_string(t.shape()) +
                                  ", the model expects " + shape_to_string(io.shape) + " (dimension " +
                                  std::to_string(d) + ")");
    }
    for (int64_t d : t.shape())
      if (d < 0) return invalid_argument("input '" + io.name + "' has a negative dimension");
    return Status::ok();
  }

  Status check_known_input(const std::string& name) const {
    for (const IoInfo& io : inputs)
      if (io.name == name) return Status::ok();
    std::string names;
    for (const IoInfo& io : inputs) names += (names.empty() ? "'" : ", '") + io.name + "'";
    return invalid_argument("unknown input '" + name + "'; the model's inputs are " + names);
  }
};

Session::Session(std::unique_ptr<SessionImpl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::create(const uint8_t* data, size_t size, const SessionOptions& options) {
  EI_ASSIGN_OR_RETURN(Model model, load_onnx_model(data, size));
  return create(std::move(model), options);
}

Result<std::unique_ptr<Session>> Session::create(Model model, const SessionOptions& options) {
  auto impl = std::make_unique<SessionImpl>();
  impl->options = options;
  if (options.num_threads < 1 || options.num_threads > 64)
    return invalid_argument("num_threads must be between 1 and 64, got " + std::to_string(options.num_threads));
  const int64_t opset = model.opset("");
  if (opset < kMinOpset || opset > kMaxOpset)
    return unsupported("the model imports opset " + std::to_string(opset) + " of the default ONNX domain; opsets " +
                       std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) + " are supported");
  impl->info = make_info(model);
  if (!impl->info.unsupported_ops.empty()) {
    // Name the first node that uses an unsupported op.
    for (const Node& n : model.graph.nodes)
      if (!find_op(n.domain, n.op_type))
        return unsupported(n.error_prefix() + "operator " + (n.domain.empty() ? "" : n.domain + ":") + n.op_type +
                           " is not supported (unsupported ops in this model: " + [&] {
                             std::string s;
                             for (const auto& op : impl->info.unsupported_ops) s += (s.empty() ? "" : ", ") + op;
                             return s;
                           }() + ")");
  }
  for (int id : model.graph.inputs) impl->inputs.push_back(io_info(model.graph.values[static_cast<size_t>(id)]));
  for (int id : model.graph.outputs) impl->outputs.push_back(io_info(model.graph.values[static_cast<size_t>(id)]));

  impl->model = std::move(model);
  if (options.optimize) {
    OptimizerOptions oo;
    oo.qdq_rewrite = options.qdq_rewrite;
    auto report = optimize_graph(impl->model.graph, impl->model.opsets, oo);
    if (!report.is_ok()) return report.status();
    impl->optimizer_report = *report;
  }
  impl->pool = std::make_unique<ThreadPool>(options.num_threads);
  impl->executor = std::make_unique<GraphExecutor>(impl->model.graph, impl->model.opsets, impl->pool.get());
  impl->executor->set_inputs_in_arena(true);
  // Weights that kernels prepacked are not read again: keep their dtype and shape, free the bytes, each
  // as soon as its last reader has packed it (so the original and packed weights never all coexist).
  Graph& graph = impl->model.graph;
  auto release = [&graph](int id) {
    Tensor& t = graph.values[static_cast<size_t>(id)].initializer;
    t = Tensor::view(t.dtype(), t.shape(), nullptr);
  };
  EI_RETURN_IF_ERROR(impl->executor->create_kernels(release));
  for (int id : impl->executor->copied_initializers()) release(id);

  // Check the whole graph now: with the declared shapes when they are all fixed, else with symbolic
  // dims set to 1, where only an unsupported construct is certain to fail later as well.
  std::vector<TensorInfo> trial;
  bool symbolic = false;
  for (const IoInfo& io : impl->inputs) {
    TensorInfo ti{io.dtype, io.shape};
    for (auto& d : ti.shape)
      if (d < 0) { d = 1; symbolic = true; }
    if (io.dtype == DataType::kUndefined) symbolic = true;
    trial.push_back(ti);
  }
  Status planned = impl->executor->plan_for(trial, nullptr);
  if (!planned.is_ok() && (!symbolic || planned.code() == StatusCode::kUnsupported)) return planned;

  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

const std::vector<IoInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<IoInfo>& Session::outputs() const { return impl_->outputs; }
const ModelInfo& Session::info() const { return impl_->info; }

MemoryStats Session::memory() const {
  MemoryStats m;
  m.weights_bytes = initializer_bytes(impl_->model.graph) + impl_->executor->kernel_owned_bytes();
  ExecutionStats s = impl_->executor->stats();
  m.arena_bytes = s.arena_bytes;
  m.peak_bytes = m.weights_bytes + s.arena_bytes + s.peak_dynamic_bytes;
  return m;
}

const OptimizerReport& Session::optimizer_report() const { return impl_->optimizer_report; }

size_t Session::parallel_nodes() const { return impl_->executor->stats().parallel_nodes; }

Result<std::vector<Tensor>> Session::run(const std::map<std::string, Tensor>& feeds,
                                         const std::vector<std::string>& fetches) {
  std::lock_guard<std::mutex> lock(impl_->run_mutex);
  std::vector<Tensor> inputs;
  for (const IoInfo& io : impl_->inputs) {
    auto it = feeds.find(io.name);
    if (it == feeds.end()) return invalid_argument("missing input '" + io.name + "'");
    EI_RETURN_IF_ERROR(impl_->validate_feed(io, it->second));
    inputs.push_back(Tensor::view(it->second.dtype(), it->second.shape(), const_cast<void*>(it->second.raw())));
  }
  for (const auto& [name, t] : feeds) EI_RETURN_IF_ERROR(impl_->check_known_input(name));
  std::vector<size_t> picks;
  if (fetches.empty()) {
    for (size_t i = 0; i < impl_->outputs.size(); ++i) picks.push_back(i);
  } else {
    for (const std::string& f : fetches) {
      size_t k = 0;
      while (k < impl_->outputs.size() && impl_->outputs[k].name != f) ++k;
      if (k == impl_->outputs.size()) return invalid_argument("unknown output '" + f + "'");
      picks.push_back(k);
    }
  }
  EI_ASSIGN_OR_RETURN(std::vector<Tensor> all, impl_->executor->run(inputs, nullptr));
  std::vector<Tensor> out;
  for (size_t k : picks) out.push_back(all[k]);
  return out;
}

Result<std::vector<Tensor>> Session::input_buffers(const std::map<std::string, TensorSpec>& specs) {
  std::lock_guard<std::mutex> lock(impl_->run_mutex);
  std::vector<TensorInfo> infos;
  for (const IoInfo& io : impl_->inputs) {
    auto it = specs.find(io.name);
    if (it == specs.end()) return invalid_argument("missing input '" + io.name + "'");
    EI_RETURN_IF_ERROR(impl_->validate_feed(io, Tensor::view(it->second.dtype, it->second.shape, nullptr)));
    EI_RETURN_IF_ERROR(checked_numel(it->second.shape).status());
    infos.push_back(TensorInfo{it->second.dtype, it->second.shape});
  }
  for (const auto& [name, spec] : specs) EI_RETURN_IF_ERROR(impl_->check_known_input(name));
  return impl_->executor->input_views(infos);
}

Result<ModelInfo> inspect_model(const uint8_t* data, size_t size) {
  EI_ASSIGN_OR_RETURN(Model model, load_onnx_model(data, size));
  return make_info(model);
}

}  // namespace edgeinfer
