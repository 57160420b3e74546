#include "runtime/executor.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <set>

#include "runtime/arena_planner.h"

namespace edgeinfer {

namespace {

constexpr size_t kAlign = 64;
size_t align_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// Nodes whose inputs are all known while planning are evaluated then, if their outputs are this small:
// that covers shape arithmetic without copying large constant computations into every plan.
constexpr int64_t kMaxPlanTimeElements = 1 << 16;
// A node that reads and writes fewer elements than this (weights included) runs on the calling thread
// alone: sharing it costs more in hand-offs than it saves. A plan with only such nodes does not wake
// the workers at all. Nor does a plan that touches fewer than kMinParallelPlanElements in all: waking
// the workers for it costs tens of microseconds in a browser, as much as such a run takes alone
// (hey_jarvis, 0.03 ms a run).
constexpr int64_t kMinParallelElements = 1 << 15;
constexpr int64_t kMinParallelPlanElements = 1 << 20;

bool same_infos(const std::vector<TensorInfo>& a, const std::vector<TensorInfo>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].dtype != b[i].dtype || a[i].shape != b[i].shape) return false;
  return true;
}



// Adds the node to an error's message; builds the prefix only on failure (this is on every node's
// run path).
Status in_node(const Node& node, Status st) { return st.is_ok() ? st : st.with_context(node.error_prefix()); }

Result<Tensor> aligned_scratch(size_t bytes) {
  if (bytes == 0) return Tensor();
  return Tensor::allocate(DataType::kUint8, {static_cast<int64_t>(bytes)});
}

}  // namespace

Result<std::unique_ptr<Kernel>> create_node_kernel(const Graph& graph, const Node& node, int64_t opset) {
  const OpRegistration* reg = find_op(node.domain, node.op_type);
  if (!reg) {
    std::string domain = node.domain.empty() ? "" : " in domain '" + node.domain + "'";
    return unsupported(node.error_prefix() + "operator " + node.op_type + domain + " is not supported");
  }
  KernelInit init;
  init.node = &node;
  init.opset = opset;
  init.num_outputs = static_cast<int>(node.outputs.size());
  for (int in : node.inputs) {
    init.present.push_back(in >= 0);
    const Value* v = in >= 0 ? &graph.values[static_cast<size_t>(in)] : nullptr;
    init.constants.push_back(v && v->is_initializer ? &v->initializer : nullptr);
  }
  auto kernel = reg->create(init);
  if (!kernel.is_ok()) {
    const std::string& msg = kernel.status().message();
    // Factories may or may not have prefixed the node already.
    if (msg.rfind("node '", 0) == 0) return kernel.status();
    return kernel.status().with_context(node.error_prefix());
  }
  return kernel;
}

enum class Source : uint8_t {
  kAbsent,       // not needed by this plan
  kInitializer,  // Value::initializer
  kInput,        // a graph input
  kOuter,        // an enclosing graph's value
  kKnown,        // computed while planning; held by the plan
  kArena,        // planned: arena + offset
  kOutput,       // graph output of static shape: heap, returned to the caller
  kDynamic,      // shape known only at run time: heap, freed after last use
};

struct GraphExecutor::Plan {
  struct ValuePlan {
    Source source = Source::kAbsent;
    TensorInfo info;
    size_t offset = 0;
    Tensor known;
  };
  struct NodePlan {
    bool skip = false;      // outputs are all known
    bool deferred = false;  // infer again at run time
    bool serial = false;    // too little work to share between threads (kMinParallelElements)
    size_t scratch_offset = 0;
    size_t scratch_bytes = 0;
  };
  std::vector<ValuePlan> values;
  std::vector<NodePlan> nodes;
  size_t arena_bytes = 0;
  size_t arena_lower_bound = 0;  // largest live set: what a perfect offset assignment would need
  bool any_parallel = false;     // some node may use the workers
};

struct GraphExecutor::Frame {
  std::vector<Tensor> values;
  uint8_t* arena = nullptr;
  const Scope* outer = nullptr;
  size_t dynamic_bytes = 0;
};

// The scope a running frame offers to its subgraphs; also runs them.
class GraphExecutor::SubgraphScope : public GraphExecutor::Scope, public SubgraphRunner {
 public:
  SubgraphScope(GraphExecutor& owner, Frame& frame) : owner_(owner), frame_(frame) {}
  const Tensor* lookup(const std::string& name) const override {
    int id = owner_.graph_.find_value(name);
    if (id >= 0) {
      const Tensor& t = frame_.values[static_cast<size_t>(id)];
      if (!t.empty()) return &t;
      const Value& v = owner_.graph_.values[static_cast<size_t>(id)];
      if (v.is_initializer) return &v.initializer;
    }
    return frame_.outer ? frame_.outer->lookup(name) : nullptr;
  }
  Result<std::vector<Tensor>> run(const Graph& graph, const std::vector<Tensor>& inputs) override {
    auto it = owner_.subgraphs_.find(&graph);
    if (it == owner_.subgraphs_.end()) return internal_error("subgraph '" + graph.name + "' has no executor");
    return it->second->run(inputs, this);
  }

 private:
  GraphExecutor& owner_;
  Frame& frame_;
};

GraphExecutor::GraphExecutor(const Graph& graph, const std::map<std::string, int64_t>& opsets, ThreadPool* pool)
    : graph_(graph), opsets_(opsets), pool_(pool) {
  last_use_.assign(graph_.values.size(), -1);
  subgraph_read_.assign(graph_.values.size(), false);
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    const Node& node = graph_.nodes[i];
    for (int in : node.inputs)
      if (in >= 0) last_use_[static_cast<size_t>(in)] = static_cast<int>(i);
    if (has_subgraph(node)) {
      std::set<std::string> names;
      for (const Attribute& a : node.attrs.all()) {
        if (a.g) collect_outer_names(*a.g, names);
        for (const auto& sg : a.graphs) collect_outer_names(*sg, names);
      }
      for (const std::string& n : names) {
        int id = graph_.find_value(n);
        if (id >= 0) {
          last_use_[static_cast<size_t>(id)] = static_cast<int>(i);
          subgraph_read_[static_cast<size_t>(id)] = true;
        }
      }
    }
  }
  // Graph outputs live to the end.
  for (int out : graph_.outputs) last_use_[static_cast<size_t>(out)] = static_cast<int>(graph_.nodes.size());
}

GraphExecutor::~GraphExecutor() = default;

Status GraphExecutor::create_kernels(const std::function<void(int)>& release_weight) {
  kernels_.clear();
  node_opsets_.clear();
  std::vector<int> readers(graph_.values.size(), 0), copied(graph_.values.size(), 0);
  for (const Node& node : graph_.nodes)
    for (int in : node.inputs)
      if (in >= 0) ++readers[static_cast<size_t>(in)];
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    const Node& node = graph_.nodes[i];
    auto it = opsets_.find(node.domain);
    int64_t opset = it == opsets_.end() ? 0 : it->second;
    if (it == opsets_.end() && node.domain.empty()) opset = 1;
    if (it == opsets_.end() && !node.domain.empty())
      return invalid_model(node.error_prefix() + "domain '" + node.domain + "' is not in the model's opset_import");
    node_opsets_.push_back(opset);
    EI_ASSIGN_OR_RETURN(std::unique_ptr<Kernel> kernel, create_node_kernel(graph_, node, opset));
    kernels_.push_back(std::move(kernel));
    if (release_weight) {
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        const int in = node.inputs[k];
        if (in >= 0 && kernels_.back()->copied_constant_input(static_cast<int>(k))) ++copied[static_cast<size_t>(in)];
      }
      // Same rule as copied_initializers(), applied at the last reader (graph outputs have
      // last_use_ beyond every node).
      std::set<int> seen;
      for (int in : node.inputs) {
        if (in < 0 || !seen.insert(in).second) continue;
        const size_t v = static_cast<size_t>(in);
        if (graph_.values[v].is_initializer && last_use_[v] == static_cast<int>(i) && copied[v] == readers[v] &&
            !subgraph_read_[v])
          release_weight(in);
      }
    }
    for (const Attribute& a : node.attrs.all()) {
      std::vector<const Graph*> graphs;
      if (a.g) graphs.push_back(a.g.get());
      for (const auto& sg : a.graphs) graphs.push_back(sg.get());
      for (const Graph* g : graphs) {
        auto child = std::make_unique<GraphExecutor>(*g, opsets_, pool_);
        EI_RETURN_IF_ERROR(child->create_kernels());
        subgraphs_[g] = std::move(child);
      }
    }
  }
  return Status::ok();
}

std::vector<int> GraphExecutor::copied_initializers() const {
  std::vector<int> readers(graph_.values.size(), 0), copied(graph_.values.size(), 0);
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    const Node& node = graph_.nodes[i];
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      const int in = node.inputs[k];
      if (in < 0) continue;
      ++readers[static_cast<size_t>(in)];
      if (kernels_[i]->copied_constant_input(static_cast<int>(k))) ++copied[static_cast<size_t>(in)];
    }
  }
  std::vector<int> out;
  for (size_t v = 0; v < graph_.values.size(); ++v) {
    const Value& value = graph_.values[v];
    // last_use_ beyond the last node marks graph outputs.
    if (value.is_initializer && readers[v] > 0 && copied[v] == readers[v] && !subgraph_read_[v] &&
        last_use_[v] < static_cast<int>(graph_.nodes.size()))
      out.push_back(static_cast<int>(v));
  }
  return out;
}

size_t GraphExecutor::kernel_owned_bytes() const {
  size_t total = 0;
  for (const auto& k : kernels_) total += k->owned_bytes();
  for (const auto& [g, child] : subgraphs_) total += child->kernel_owned_bytes();
  return total;
}

int GraphExecutor::alias_input(size_t i, const Plan& plan, const std::vector<int>& buffer_of,
                               const std::vector<int>& buffer_last) const {
  const Node& node = graph_.nodes[i];
  const Kernel& kernel = *kernels_[i];
  const auto& out = plan.values[static_cast<size_t>(node.outputs[0])];
  const size_t out_bytes = static_cast<size_t>(numel(out.info.shape)) * dtype_size(out.info.dtype);
  for (size_t k = 0; k < node.inputs.size(); ++k) {
    const int in = node.inputs[k];
    const Kernel::OutputAlias kind = kernel.output_alias(static_cast<int>(k));
    if (in < 0 || kind == Kernel::OutputAlias::kNone) continue;
    const auto& vp = plan.values[static_cast<size_t>(in)];
    // Only memory the plan owns: never a caller's input, a weight or a value computed while planning.
    if (vp.source != Source::kArena || buffer_of[static_cast<size_t>(in)] < 0) continue;
    if (vp.info.dtype != out.info.dtype ||
        static_cast<size_t>(numel(vp.info.shape)) * dtype_size(vp.info.dtype) != out_bytes)
      continue;
    if (kind == Kernel::OutputAlias::kView) return in;
    const int b = buffer_of[static_cast<size_t>(in)];
    if (vp.info.shape != out.info.shape || buffer_last[static_cast<size_t>(b)] != static_cast<int>(i)) continue;
    // Another input in the same buffer must tolerate the writes too (Sum(x, y, x) reads its third
    // input after writing the output).
    bool others_ok = true;
    for (size_t m = 0; m < node.inputs.size(); ++m) {
      const int other = node.inputs[m];
      if (m == k || other < 0 || buffer_of[static_cast<size_t>(other)] != b) continue;
      others_ok &= kernel.output_alias(static_cast<int>(m)) == Kernel::OutputAlias::kInPlace;
    }
    if (others_ok) return in;
  }
  return -1;
}

Result<std::shared_ptr<GraphExecutor::Plan>> GraphExecutor::build_plan(const std::vector<TensorInfo>& inputs,
                                                                       const Scope* outer) {
  auto plan = std::make_shared<Plan>();
  const size_t n_values = graph_.values.size();
  const size_t n_nodes = graph_.nodes.size();
  plan->values.resize(n_values);
  plan->nodes.resize(n_nodes);

  for (size_t v = 0; v < n_values; ++v) {
    const Value& value = graph_.values[v];
    auto& vp = plan->values[v];
    if (value.is_initializer) {
      vp.source = Source::kInitializer;
      vp.info = TensorInfo{value.initializer.dtype(), value.initializer.shape()};
    } else if (value.is_outer_scope) {
      const Tensor* t = outer ? outer->lookup(value.name) : nullptr;
      if (!t) return invalid_model("subgraph '" + graph_.name + "' reads '" + value.name + "', which no enclosing graph defines");
      vp.source = Source::kOuter;
      vp.info = TensorInfo{t->dtype(), t->shape()};
    }
  }
  for (size_t i = 0; i < graph_.inputs.size(); ++i) {
    auto& vp = plan->values[static_cast<size_t>(graph_.inputs[i])];
    vp.source = Source::kInput;
    vp.info = inputs[i];
  }

  std::vector<bool> is_output(n_values, false);
  for (int out : graph_.outputs) is_output[static_cast<size_t>(out)] = true;

  for (size_t i = 0; i < n_nodes; ++i) {
    const Node& node = graph_.nodes[i];
    auto& np = plan->nodes[i];
    bool inputs_known_shape = true, inputs_known_value = true;
    std::vector<const TensorInfo*> infos;
    std::vector<const Tensor*> values;
    for (int in : node.inputs) {
      if (in < 0) {
        infos.push_back(nullptr);
        values.push_back(nullptr);
        continue;
      }
      const auto& vp = plan->values[static_cast<size_t>(in)];
      if (vp.source == Source::kDynamic) inputs_known_shape = false;
      if (vp.source == Source::kAbsent)
        return internal_error(node.error_prefix() + "input '" + graph_.values[static_cast<size_t>(in)].name + "' was not planned");
      infos.push_back(&vp.info);
      const Tensor* known = vp.source == Source::kInitializer ? &graph_.values[static_cast<size_t>(in)].initializer
                            : vp.source == Source::kKnown     ? &vp.known
                                                              : nullptr;
      if (!known) inputs_known_value = false;
      values.push_back(known);
    }
    std::vector<bool> outputs_present;
    for (int out : node.outputs) outputs_present.push_back(out >= 0);

    auto mark_dynamic = [&]() {
      np.deferred = true;
      for (int out : node.outputs)
        if (out >= 0) plan->values[static_cast<size_t>(out)].source = Source::kDynamic;
    };
    if (!inputs_known_shape) {
      mark_dynamic();
      continue;
    }
    InferContext ctx(node, node_opsets_[i], infos, values, outputs_present);
    ctx.set_num_threads(pool_ ? pool_->num_threads() : 1);
    Status st = kernels_[i]->infer(ctx);
    if (st.code() == StatusCode::kDeferred) {
      mark_dynamic();
      continue;
    }
    EI_RETURN_IF_ERROR(in_node(node, st));
    np.scratch_bytes = align_up(ctx.scratch_bytes());
    bool any_dynamic = false;
    int64_t out_elements = 0;
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      int out = node.outputs[o];
      if (out < 0) continue;
      auto& vp = plan->values[static_cast<size_t>(out)];
      if (ctx.output_dynamic(static_cast<int>(o))) {
        any_dynamic = true;
        vp.source = Source::kDynamic;
        vp.info.dtype = ctx.outputs()[o].dtype;
        continue;
      }
      vp.info = ctx.outputs()[o];
      if (vp.info.dtype == DataType::kUndefined || dtype_size(vp.info.dtype) == 0)
        return internal_error(node.error_prefix() + "infer() did not set output " + std::to_string(o));
      auto n = checked_numel(vp.info.shape);
      if (!n.is_ok()) return n.status().with_context(node.error_prefix() + "output " + std::to_string(o) + ": ");
      out_elements += n.value();
      vp.source = is_output[static_cast<size_t>(out)] ? Source::kOutput : Source::kArena;
    }
    if (any_dynamic) {
      np.deferred = true;
      for (int out : node.outputs)
        if (out >= 0) plan->values[static_cast<size_t>(out)].source = Source::kDynamic;
      continue;
    }
    // Evaluate now when every input is known and the result is small (shape arithmetic).
    if (inputs_known_value && !has_subgraph(node) && out_elements <= kMaxPlanTimeElements) {
      std::vector<Tensor> outs(node.outputs.size());
      std::vector<Tensor*> out_ptrs;
      for (size_t o = 0; o < node.outputs.size(); ++o) {
        if (node.outputs[o] < 0) {
          out_ptrs.push_back(nullptr);
          continue;
        }
        const auto& info = plan->values[static_cast<size_t>(node.outputs[o])].info;
        EI_ASSIGN_OR_RETURN(outs[o], Tensor::allocate(info.dtype, info.shape));
        out_ptrs.push_back(&outs[o]);
      }
      EI_ASSIGN_OR_RETURN(Tensor scratch, aligned_scratch(np.scratch_bytes));
      RunContext run(node, values, out_ptrs, scratch.raw(), np.scratch_bytes, pool_, nullptr);
      EI_RETURN_IF_ERROR(in_node(node, kernels_[i]->run(run)));
      for (size_t o = 0; o < node.outputs.size(); ++o) {
        if (node.outputs[o] < 0) continue;
        auto& vp = plan->values[static_cast<size_t>(node.outputs[o])];
        vp.known = std::move(outs[o]);
        vp.source = Source::kKnown;
      }
      np.skip = true;
      np.scratch_bytes = 0;
    }
  }

  int64_t plan_work = 0;
  bool unknown_work = false;
  for (size_t i = 0; i < n_nodes; ++i) {
    const Node& node = graph_.nodes[i];
    auto& np = plan->nodes[i];
    if (np.skip) continue;
    if (np.deferred || has_subgraph(node)) {  // work unknown until run time
      plan->any_parallel = true;
      unknown_work = true;
      continue;
    }
    int64_t work = 0;
    for (int v : node.inputs)
      if (v >= 0) work += numel(plan->values[static_cast<size_t>(v)].info.shape);
    for (int v : node.outputs)
      if (v >= 0) work += numel(plan->values[static_cast<size_t>(v)].info.shape);
    np.serial = work < kMinParallelElements;
    if (!np.serial) plan->any_parallel = true;
    plan_work += work;
  }
  if (!unknown_work && plan_work < kMinParallelPlanElements) {
    plan->any_parallel = false;
    for (auto& np : plan->nodes) np.serial = true;
  }

  // Buffers: every arena value lives in one. A node's output 0 shares its input's buffer when the
  // kernel allows it (Kernel::output_alias): in place when nothing reads the input's buffer after this
  // node, or as a view (Reshape and friends) while both are alive. A buffer is alive from its first
  // producer through the last reader of any value in it.
  std::vector<ArenaBlock> blocks;  // one per buffer, then one per node scratch
  std::vector<int> buffer_of(n_values, -1), buffer_last;
  auto bytes_of = [&](size_t v) {
    const auto& info = plan->values[v].info;
    return align_up(static_cast<size_t>(numel(info.shape)) * dtype_size(info.dtype));
  };
  if (inputs_in_arena_) {
    // Alive from the start: the caller's data is copied in (or written there through input_views()).
    for (int in : graph_.inputs) {
      const size_t v = static_cast<size_t>(in);
      auto& vp = plan->values[v];
      if (vp.source != Source::kInput || buffer_of[v] >= 0) continue;
      vp.source = Source::kArena;
      buffer_of[v] = static_cast<int>(blocks.size());
      buffer_last.push_back(std::max(0, last_use_[v]));
      blocks.push_back({bytes_of(v), 0, buffer_last.back(), 0});
    }
  }
  for (size_t i = 0; i < n_nodes; ++i) {
    const Node& node = graph_.nodes[i];
    const auto& np = plan->nodes[i];
    if (np.skip || np.deferred) continue;
    for (size_t o = 0; o < node.outputs.size(); ++o) {
      const int out = node.outputs[o];
      if (out < 0 || plan->values[static_cast<size_t>(out)].source != Source::kArena) continue;
      const size_t ov = static_cast<size_t>(out);
      const int last = std::max(static_cast<int>(i), last_use_[ov]);
      const int shared = o == 0 ? alias_input(i, *plan, buffer_of, buffer_last) : -1;
      if (shared >= 0) {
        const size_t b = static_cast<size_t>(buffer_of[static_cast<size_t>(shared)]);
        buffer_of[ov] = static_cast<int>(b);
        buffer_last[b] = std::max(buffer_last[b], last);
        continue;
      }
      buffer_of[ov] = static_cast<int>(blocks.size());
      buffer_last.push_back(last);
      blocks.push_back({bytes_of(ov), static_cast<int>(i), last, 0});
    }
  }
  for (size_t b = 0; b < buffer_last.size(); ++b) blocks[b].last = buffer_last[b];
  std::vector<std::pair<size_t, size_t>> scratch_block;  // (node, block index)
  for (size_t i = 0; i < n_nodes; ++i) {
    auto& np = plan->nodes[i];
    if (np.scratch_bytes && !np.skip && !np.deferred) {
      scratch_block.push_back({i, blocks.size()});
      blocks.push_back({np.scratch_bytes, static_cast<int>(i), static_cast<int>(i), 0});
    }
  }
  const size_t arena = assign_arena_offsets(blocks);
  plan->arena_lower_bound = arena_lower_bound(blocks);
  for (size_t v = 0; v < n_values; ++v)
    if (buffer_of[v] >= 0) plan->values[v].offset = blocks[static_cast<size_t>(buffer_of[v])].offset;
  for (const auto& [node, block] : scratch_block) plan->nodes[node].scratch_offset = blocks[block].offset;
  plan->arena_bytes = arena;
  return plan;
}

Status GraphExecutor::plan_for(const std::vector<TensorInfo>& inputs, const Scope* outer) {
  return build_plan(inputs, outer).status();
}

Result<std::shared_ptr<GraphExecutor::Plan>> GraphExecutor::cached_plan(const std::vector<TensorInfo>& inputs,
                                                                        const Scope* outer) {
  std::vector<TensorInfo> key = inputs;
  // Subgraph plans also depend on the shapes of the outer values they read.
  for (const Value& v : graph_.values) {
    if (!v.is_outer_scope) continue;
    const Tensor* t = outer ? outer->lookup(v.name) : nullptr;
    key.push_back(t ? TensorInfo{t->dtype(), t->shape()} : TensorInfo{});
  }
  for (auto& [k, p] : plan_cache_)
    if (same_infos(k, key)) return p;
  EI_ASSIGN_OR_RETURN(std::shared_ptr<Plan> plan, build_plan(inputs, outer));
  // A few shapes are common (e.g. batch sizes); keep the most recent ones.
  if (plan_cache_.size() >= 4) plan_cache_.erase(plan_cache_.begin());
  plan_cache_.emplace_back(key, plan);
  return plan;
}

uint8_t* GraphExecutor::prepare_arena(const Plan& plan) {
  if (arena_storage_.size() < plan.arena_bytes + kAlign) {
    // Nothing in the arena outlives a run: free the old one first so the two never coexist.
    std::vector<uint8_t>().swap(arena_storage_);
    arena_storage_.resize(plan.arena_bytes + kAlign);
  }
  stats_.arena_bytes = plan.arena_bytes;
  stats_.arena_lower_bound = plan.arena_lower_bound;
  stats_.parallel_nodes = 0;
  if (pool_ && pool_->num_threads() > 1)
    for (const auto& np : plan.nodes) stats_.parallel_nodes += !np.skip && !np.serial;
  return reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(arena_storage_.data()) + kAlign - 1) &
                                    ~uintptr_t{kAlign - 1});
}

Result<std::vector<Tensor>> GraphExecutor::input_views(const std::vector<TensorInfo>& inputs) {
  if (!inputs_in_arena_) return internal_error("input_views() needs set_inputs_in_arena(true)");
  if (inputs.size() != graph_.inputs.size())
    return invalid_argument("graph '" + graph_.name + "' expects " + std::to_string(graph_.inputs.size()) +
                            " inputs, got " + std::to_string(inputs.size()));
  EI_ASSIGN_OR_RETURN(std::shared_ptr<Plan> plan, cached_plan(inputs, nullptr));
  uint8_t* arena = prepare_arena(*plan);
  std::vector<Tensor> views;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& vp = plan->values[static_cast<size_t>(graph_.inputs[i])];
    if (vp.source != Source::kArena) return internal_error("input " + std::to_string(i) + " has no arena slot");
    views.push_back(Tensor::view(inputs[i].dtype, inputs[i].shape, arena + vp.offset));
  }
  return views;
}

Result<std::vector<Tensor>> GraphExecutor::run(const std::vector<Tensor>& inputs, const Scope* outer) {
  if (inputs.size() != graph_.inputs.size())
    return invalid_argument("graph '" + graph_.name + "' expects " + std::to_string(graph_.inputs.size()) +
                            " inputs, got " + std::to_string(inputs.size()));
  std::vector<TensorInfo> infos;
  for (const Tensor& t : inputs) infos.push_back(TensorInfo{t.dtype(), t.shape()});
  EI_ASSIGN_OR_RETURN(std::shared_ptr<Plan> plan, cached_plan(infos, outer));
  uint8_t* arena = prepare_arena(*plan);
  // Keeps the workers looking for jobs through the run; a plan of small nodes leaves them asleep.
  std::optional<ThreadPool::ActiveScope> awake;
  if (plan->any_parallel && pool_ && pool_->num_threads() > 1) awake.emplace(*pool_);

  Frame frame;
  frame.values.swap(frame_values_);  // reused run to run: views re-pointed in place, no allocation
  frame.values.resize(graph_.values.size());
  frame.arena = arena;
  frame.outer = outer;
  for (size_t i = 0; i < graph_.inputs.size(); ++i) {
    const size_t v = static_cast<size_t>(graph_.inputs[i]);
    const auto& vp = plan->values[v];
    if (vp.source == Source::kArena) {
      // The arena holds the inputs (set_inputs_in_arena): callers of input_views() wrote them there already.
      if (inputs[i].raw() != arena + vp.offset && inputs[i].nbytes())
        std::memmove(arena + vp.offset, inputs[i].raw(), inputs[i].nbytes());
    } else {
      frame.values[v] = inputs[i];
    }
  }
  Status status = execute(*plan, frame);
  if (!status.is_ok()) {
    for (Tensor& t : frame.values) if (t.owns_data()) t = Tensor();
    frame.values.swap(frame_values_);
    return status;
  }

  std::vector<Tensor> outputs;
  for (int out : graph_.outputs) {
    const auto& vp = plan->values[static_cast<size_t>(out)];
    Tensor& t = frame.values[static_cast<size_t>(out)];
    if (vp.source == Source::kOutput || (vp.source == Source::kDynamic && t.owns_data())) {
      outputs.push_back(std::move(t));
    } else if (vp.source == Source::kInitializer) {
      outputs.push_back(graph_.values[static_cast<size_t>(out)].initializer.clone());
    } else if (vp.source == Source::kKnown) {
      outputs.push_back(vp.known.clone());
    } else if (vp.source == Source::kOuter) {
      const Tensor* o = outer ? outer->lookup(graph_.values[static_cast<size_t>(out)].name) : nullptr;
      if (!o) return internal_error("outer value of output missing");
      outputs.push_back(o->clone());
    } else {
      if (t.empty()) return internal_error("graph output '" + graph_.values[static_cast<size_t>(out)].name + "' was not computed");
      outputs.push_back(t.clone());
    }
  }
  // Keep the views for the next run; drop anything that owns memory (dynamic values, moved-out outputs).
  for (Tensor& t : frame.values) if (t.owns_data()) t = Tensor();
  frame.values.swap(frame_values_);
  return outputs;
}

Status GraphExecutor::execute(const Plan& plan, Frame& frame) {
  SubgraphScope scope(*this, frame);
  for (size_t v = 0; v < graph_.values.size(); ++v) {
    const auto& vp = plan.values[v];
    Tensor& t = frame.values[v];
    if (vp.source == Source::kInitializer) {
      t.set_view(vp.info.dtype, vp.info.shape, const_cast<void*>(graph_.values[v].initializer.raw()));
    } else if (vp.source == Source::kKnown) {
      t.set_view(vp.info.dtype, vp.info.shape, const_cast<void*>(vp.known.raw()));
    } else if (vp.source == Source::kOuter) {
      const Tensor* o = frame.outer ? frame.outer->lookup(graph_.values[v].name) : nullptr;
      if (o) t.set_view(o->dtype(), o->shape(), const_cast<void*>(o->raw()));
      else t = Tensor();
    } else if (vp.source == Source::kArena) {
      t.set_view(vp.info.dtype, vp.info.shape, frame.arena + vp.offset);
    } else if (vp.source != Source::kInput) {
      t = Tensor();  // outputs and dynamic values are set by their producers
    }
  }
  std::vector<const Tensor*> in_ptrs;
  std::vector<Tensor*> out_ptrs;
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    const auto& np = plan.nodes[i];
    if (np.skip) continue;
    const Node& node = graph_.nodes[i];
    in_ptrs.clear();
    out_ptrs.clear();
    for (int in : node.inputs) {
      if (in < 0) {
        in_ptrs.push_back(nullptr);
        continue;
      }
      const Tensor& t = frame.values[static_cast<size_t>(in)];
      if (t.empty()) return internal_error(node.error_prefix() + "input '" + graph_.values[static_cast<size_t>(in)].name + "' has no value");
      in_ptrs.push_back(&t);
    }
    void* scratch = frame.arena + np.scratch_offset;
    size_t scratch_bytes = np.scratch_bytes;
    Tensor dynamic_scratch;
    if (np.deferred) {
      std::vector<TensorInfo> infos(node.inputs.size());
      std::vector<const TensorInfo*> info_ptrs;
      std::vector<bool> outputs_present;
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        if (!in_ptrs[k]) {
          info_ptrs.push_back(nullptr);
          continue;
        }
        infos[k] = TensorInfo{in_ptrs[k]->dtype(), in_ptrs[k]->shape()};
        info_ptrs.push_back(&infos[k]);
      }
      for (int out : node.outputs) outputs_present.push_back(out >= 0);
      InferContext ctx(node, node_opsets_[i], info_ptrs, in_ptrs, outputs_present);
      ctx.set_num_threads(pool_ ? pool_->num_threads() : 1);
      EI_RETURN_IF_ERROR(in_node(node, kernels_[i]->infer(ctx)));
      for (size_t o = 0; o < node.outputs.size(); ++o) {
        int out = node.outputs[o];
        if (out < 0) continue;
        Tensor& t = frame.values[static_cast<size_t>(out)];
        if (ctx.output_dynamic(static_cast<int>(o))) {
          t = Tensor();
        } else {
          const TensorInfo& info = ctx.outputs()[o];
          EI_ASSIGN_OR_RETURN(t, Tensor::allocate(info.dtype, info.shape));
          frame.dynamic_bytes += t.nbytes();
        }
      }
      EI_ASSIGN_OR_RETURN(dynamic_scratch, aligned_scratch(ctx.scratch_bytes()));
      scratch = dynamic_scratch.raw();
      scratch_bytes = ctx.scratch_bytes();
    } else {
      for (int out : node.outputs) {
        if (out < 0) continue;
        const auto& vp = plan.values[static_cast<size_t>(out)];
        if (vp.source == Source::kOutput) {
          EI_ASSIGN_OR_RETURN(frame.values[static_cast<size_t>(out)], Tensor::allocate(vp.info.dtype, vp.info.shape));
        }
      }
    }
    for (int out : node.outputs) out_ptrs.push_back(out >= 0 ? &frame.values[static_cast<size_t>(out)] : nullptr);
    RunContext ctx(node, in_ptrs, out_ptrs, scratch, scratch_bytes, np.serial ? &serial_pool_ : pool_, &scope);
    EI_RETURN_IF_ERROR(in_node(node, kernels_[i]->run(ctx)));
    if (np.deferred) {
      for (int out : node.outputs)
        if (out >= 0 && !frame.values[static_cast<size_t>(out)].owns_data() && frame.values[static_cast<size_t>(out)].empty())
          return internal_error(node.error_prefix() + "run() did not set its dynamic output");
    }
    stats_.peak_dynamic_bytes = std::max(stats_.peak_dynamic_bytes, frame.dynamic_bytes);
    // Free heap tensors after their last reader.
    for (int in : node.inputs) {
      if (in < 0) continue;
      const size_t v = static_cast<size_t>(in);
      if (last_use_[v] == static_cast<int>(i) && plan.values[v].source == Source::kDynamic) {
        frame.dynamic_bytes -= std::min(frame.dynamic_bytes, frame.values[v].nbytes());
        frame.values[v] = Tensor();
      }
    }
  }
  return Status::ok();
}

}  // namespace edgeinfer
