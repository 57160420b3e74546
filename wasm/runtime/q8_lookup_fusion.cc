#include "runtime/q8_lookup_fusion.h"

#include <algorithm>
#include <cstring>
#include <set>
#include <vector>

#include "runtime/graph_edit.h"
#include "runtime/node_eval.h"

namespace edgeinfer {
namespace {

constexpr const char* kDomain = "com.edgeinfer";

bool q8(DataType t) { return t == DataType::kInt8 || t == DataType::kUint8; }

// Ops computing each output element from the same element of their inputs (one-element constants
// broadcast). kBroadcast ones take the rank of their highest-rank input; the others keep input 0's.
enum class Shaping { kNone, kKeep, kBroadcast };
Shaping shaping(const Node& n) {
  static const std::set<std::string> keep = {
      "DequantizeLinear", "QuantizeLinear", "Identity", "Relu",     "Clip",  "LeakyRelu", "Sigmoid",
      "Tanh",             "HardSigmoid",    "HardSwish", "Elu",     "Selu",  "Softplus",  "Softsign",
      "Erf",              "Exp",            "Log",       "Sqrt",    "Abs",   "Neg",       "Reciprocal",
      "Floor",            "Ceil",           "Round",     "Gelu",    "Sin",   "Cos",       "Sign"};
  static const std::set<std::string> broadcast = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"};
  if (!n.domain.empty() || n.outputs.size() != 1 || n.outputs[0] < 0) return Shaping::kNone;
  if (keep.count(n.op_type)) return Shaping::kKeep;
  if (broadcast.count(n.op_type)) return Shaping::kBroadcast;
  return Shaping::kNone;
}

class LookupFusion {
 public:
  LookupFusion(Graph& g, std::map<std::string, int64_t>& opsets) : g_(g), opsets_(opsets) {
    uses_ = count_uses(g);
    producer_ = producers(g);
    consumers_.assign(g.values.size(), {});
    for (size_t i = 0; i < g.nodes.size(); ++i)
      for (int in : g.nodes[i].inputs)
        if (in >= 0) consumers_[static_cast<size_t>(in)].push_back(static_cast<int>(i));
    taken_.assign(g.nodes.size(), false);
    for (const Node& n : g.nodes) shaping_.push_back(shaping(n));
    lookup_out_.assign(g.values.size(), false);
  }

  Result<int> run() {
    int replaced = 0;
    for (int v : g_.inputs) replaced += try_region(v, 0);
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      for (int v : g_.nodes[i].outputs) {
        if (v < 0 || (taken_[i] && !lookup_out_[static_cast<size_t>(v)])) continue;
        replaced += try_region(v, i + 1);
      }
    }
    if (replaced == 0) return 0;
    erase_nodes(g_, taken_);
    for (Node& n : pending_) g_.nodes.push_back(std::move(n));
    opsets_[kDomain] = std::max<int64_t>(opsets_[kDomain], 1);
    EI_RETURN_IF_ERROR(g_.sort_topologically());
    return replaced;
  }

 private:
  // The dtype of an 8-bit value (kUndefined when it is not one or is not known).
  DataType q8_dtype(int v) const {
    const Value& val = g_.values[static_cast<size_t>(v)];
    if (val.is_initializer) return DataType::kUndefined;  // constants fold elsewhere
    const int p = producer_[static_cast<size_t>(v)];
    if (p >= 0 && !taken_[static_cast<size_t>(p)]) {
      const Node& n = g_.nodes[static_cast<size_t>(p)];
      if (n.domain.empty() && n.op_type == "QuantizeLinear") {
        if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
          const Tensor* z = constant(g_, n.inputs[2]);
          return z && q8(z->dtype()) ? z->dtype() : DataType::kUndefined;
        }
        const int64_t od = n.attrs.get_int("output_dtype", 0);
        const DataType t = od ? static_cast<DataType>(od) : DataType::kUint8;
        return q8(t) ? t : DataType::kUndefined;
      }
    }
    return q8(val.dtype) ? val.dtype : DataType::kUndefined;
  }

  // A one-element constant: an initializer, or DequantizeLinear of one-element initializers
  // (evaluated once). Null otherwise.
  const Tensor* scalar_constant(int v) {
    if (const Tensor* t = constant(g_, v)) return t->numel() == 1 ? t : nullptr;
    auto it = dq_constants_.find(v);
    if (it != dq_constants_.end()) return it->second.empty() ? nullptr : &it->second;
    Tensor& slot = dq_constants_[v];
    const int p = producer_[static_cast<size_t>(v)];
    if (p < 0 || taken_[static_cast<size_t>(p)]) return nullptr;
    const Node& n = g_.nodes[static_cast<size_t>(p)];
    if (!n.domain.empty() || n.op_type != "DequantizeLinear" || n.outputs.size() != 1) return nullptr;
    std::vector<const Tensor*> ins;
    for (int in : n.inputs) {
      const Tensor* t = constant(g_, in);
      if (in >= 0 && (!t || t->numel() != 1)) return nullptr;
      ins.push_back(in >= 0 ? t : nullptr);
    }
    auto r = evaluate_node(g_, n, node_opset(n, opsets_), ins);
    if (!r.is_ok() || !r.value() || (*r.value())[0].numel() != 1) return nullptr;
    slot = std::move((*r.value())[0]);
    return &slot;
  }

  // Grows, evaluates, trims and replaces the region of source x (nodes from index `start` on).
  // Returns the number of nodes replaced.
  int try_region(int x, size_t start) {
    const DataType xt = q8_dtype(x);
    if (xt == DataType::kUndefined) return 0;
    bool has_dq = false;
    for (int c : consumers_[static_cast<size_t>(x)])
      has_dq = has_dq || (g_.nodes[static_cast<size_t>(c)].op_type == "DequantizeLinear" && !taken_[static_cast<size_t>(c)]);
    if (!has_dq) return 0;

    // Every value of the region on all 256 inputs, and the rank its constants broadcast it to.
    std::map<int, Tensor> vals;
    std::map<int, int> rank;
    Tensor xs = Tensor::allocate(xt, {256}).value();
    for (int i = 0; i < 256; ++i) static_cast<uint8_t*>(xs.raw())[i] = static_cast<uint8_t>(i);
    vals[x] = std::move(xs);
    rank[x] = 0;
    std::vector<int> region;
    // Candidates are readers of region values, taken lowest index first: the graph is sorted, so a
    // node's region inputs are all known when it is reached.
    std::set<int> frontier(consumers_[static_cast<size_t>(x)].begin(), consumers_[static_cast<size_t>(x)].end());
    while (!frontier.empty()) {
      const size_t i = static_cast<size_t>(*frontier.begin());
      frontier.erase(frontier.begin());
      if (i < start || taken_[i]) continue;
      const Node& n = g_.nodes[i];
      const Shaping sh = shaping_[i];
      if (sh == Shaping::kNone) continue;
      bool reads_region = false, ok = true;
      std::vector<const Tensor*> ins;
      int r = 0;
      for (size_t k = 0; k < n.inputs.size() && ok; ++k) {
        const int in = n.inputs[k];
        const Tensor* t = nullptr;
        int in_rank = 0;
        if (in < 0) {
        } else if (vals.count(in)) {
          t = &vals[in];
          in_rank = rank[in];
          reads_region = true;
        } else if ((t = scalar_constant(in)) != nullptr) {
          in_rank = t->rank();
        } else {
          ok = false;
        }
        ins.push_back(t);
        if (k == 0 || sh == Shaping::kBroadcast) r = std::max(r, in_rank);
      }
      if (!ok || !reads_region || ins.empty() || !ins[0]) continue;
      // The model's own kernel on the 256 values; a node it cannot evaluate stays outside.
      auto out = evaluate_node(g_, n, node_opset(n, opsets_), ins);
      if (!out.is_ok() || !out.value() || (*out.value())[0].numel() != 256) continue;
      vals[n.outputs[0]] = std::move((*out.value())[0]);
      rank[n.outputs[0]] = r;
      region.push_back(static_cast<int>(i));
      for (int c : consumers_[static_cast<size_t>(n.outputs[0])]) frontier.insert(c);
    }

    // Values leaving the region must be 8-bit: drop the producers of the others until none is left.
    std::set<int> in_region(region.begin(), region.end());
    auto read_outside = [&](int v) {
      if (uses_.pinned[static_cast<size_t>(v)]) return true;
      for (int c : consumers_[static_cast<size_t>(v)])
        if (!in_region.count(c)) return true;
      return false;
    };
    for (bool changed = true; changed;) {
      changed = false;
      for (auto it = region.rbegin(); it != region.rend(); ++it) {
        if (!in_region.count(*it)) continue;
        const int v = g_.nodes[static_cast<size_t>(*it)].outputs[0];
        if (read_outside(v) && !q8(vals[v].dtype())) {
          in_region.erase(*it);
          changed = true;
        }
      }
    }
    bool has_q = false;
    has_dq = false;
    for (int i : in_region) {
      has_q = has_q || g_.nodes[static_cast<size_t>(i)].op_type == "QuantizeLinear";
      has_dq = has_dq || g_.nodes[static_cast<size_t>(i)].op_type == "DequantizeLinear";
    }
    if (!has_q || !has_dq) return 0;

    for (int i : in_region) {
      const Node& n = g_.nodes[static_cast<size_t>(i)];
      const int v = n.outputs[0];
      if (read_outside(v)) {
        const Tensor& table = vals[v];
        const std::string base = n.name.empty() ? g_.values[static_cast<size_t>(v)].name : n.name;
        Tensor t = Tensor::allocate(table.dtype(), {256}).value();
        std::memcpy(t.raw(), table.raw(), 256);
        Node lookup;
        lookup.name = base + "_lookup";
        lookup.op_type = "Q8Lookup";
        lookup.domain = kDomain;
        lookup.inputs = {x, add_initializer(g_, base + "_table", std::move(t))};
        lookup.outputs = {v};
        if (rank[v] > 0) {
          Attribute a;
          a.name = "rank";
          a.type = AttrType::kInt;
          a.i = rank[v];
          lookup.attrs.set(std::move(a));
        }
        pending_.push_back(std::move(lookup));
        g_.values[static_cast<size_t>(v)].dtype = table.dtype();
        if (static_cast<size_t>(v) >= lookup_out_.size()) lookup_out_.resize(g_.values.size(), false);
        lookup_out_[static_cast<size_t>(v)] = true;
      }
    }
    for (int i : in_region) taken_[static_cast<size_t>(i)] = true;
    // Values added (the tables) have no producer or consumers.
    producer_.resize(g_.values.size(), -1);
    consumers_.resize(g_.values.size());
    uses_.count.resize(g_.values.size(), 0);
    uses_.pinned.resize(g_.values.size(), false);
    lookup_out_.resize(g_.values.size(), false);
    return static_cast<int>(in_region.size());
  }

  Graph& g_;
  std::map<std::string, int64_t>& opsets_;
  Uses uses_;
  std::vector<int> producer_;
  std::vector<std::vector<int>> consumers_;
  std::vector<bool> taken_;
  std::vector<Shaping> shaping_;
  std::vector<bool> lookup_out_;
  std::map<int, Tensor> dq_constants_;
  std::vector<Node> pending_;
};

}  // namespace

Result<int> fuse_q8_lookups(Graph& graph, std::map<std::string, int64_t>& opsets) {
  EI_RETURN_IF_ERROR(graph.sort_topologically());
  LookupFusion f(graph, opsets);
  return f.run();
}

}  // namespace edgeinfer
