#include "runtime/optimizer.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "ops/activation.h"
#include "ops/op.h"
#include "runtime/executor.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

namespace {

// Folding a node whose output is much larger than its inputs would trade a cheap op for weight memory.
constexpr int64_t kMaxFoldElements = 1 << 16;



// Use counts and the values that must keep their identity (graph outputs, subgraph references).
struct Uses {
  std::vector<int> count;
  std::vector<bool> pinned;
};

Uses count_uses(const Graph& g) {
  Uses u;
  u.count.assign(g.values.size(), 0);
  u.pinned.assign(g.values.size(), false);
  for (const Node& n : g.nodes)
    for (int in : n.inputs)
      if (in >= 0) ++u.count[static_cast<size_t>(in)];
  for (int out : g.outputs) u.pinned[static_cast<size_t>(out)] = true;
  std::set<std::string> outer;
  for (const Node& n : g.nodes)
    for (const Attribute& a : n.attrs.all()) {
      if (a.g) collect_outer_names(*a.g, outer);
      for (const auto& sg : a.graphs) collect_outer_names(*sg, outer);
    }
  for (const std::string& name : outer) {
    int id = g.find_value(name);
    if (id >= 0) u.pinned[static_cast<size_t>(id)] = true;
  }
  return u;
}

int64_t node_opset(const Node& n, const std::map<std::string, int64_t>& opsets) {
  auto it = opsets.find(n.domain);
  return it == opsets.end() ? 0 : it->second;
}

void replace_uses(Graph& g, int from, int to) {
  for (Node& n : g.nodes)
    for (int& in : n.inputs)
      if (in == from) in = to;
}

void erase_nodes(Graph& g, const std::vector<bool>& dead) {
  std::vector<Node> kept;
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!dead[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
}

int add_initializer(Graph& g, const std::string& base, Tensor t) {
  std::string name = base;
  for (int k = 1; g.find_value(name) >= 0; ++k) name = base + "_" + std::to_string(k);
  int id = g.add_value(name);
  Value& v = g.values[static_cast<size_t>(id)];
  v.is_initializer = true;
  v.dtype = t.dtype();
  v.initializer = std::move(t);
  return id;
}

const Tensor* constant(const Graph& g, int id) {
  if (id < 0) return nullptr;
  const Value& v = g.values[static_cast<size_t>(id)];
  return v.is_initializer ? &v.initializer : nullptr;
}

int remove_identities(Graph& g) {
  Uses uses = count_uses(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int removed = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    bool identity = n.domain.empty() && (n.op_type == "Identity" || n.op_type == "Dropout");
    if (!identity || n.inputs.empty() || n.inputs[0] < 0 || n.outputs.empty() || n.outputs[0] < 0) continue;
    if (n.op_type == "Dropout") {
      // The mask output must be unused, and training_mode (an input since opset 12) absent or constant false.
      if (n.outputs.size() > 1 && n.outputs[1] >= 0 && (uses.count[static_cast<size_t>(n.outputs[1])] || uses.pinned[static_cast<size_t>(n.outputs[1])])) continue;
      if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
        const Tensor* t = constant(g, n.inputs[2]);
        if (!t || t->numel() != 1 || get_int(*t, 0) != 0) continue;
      }
    }
    int out = n.outputs[0];
    if (uses.pinned[static_cast<size_t>(out)]) continue;
    replace_uses(g, out, n.inputs[0]);
    dead[i] = true;
    ++removed;
  }
  erase_nodes(g, dead);
  return removed;
}

Result<int> fold_constants(Graph& g, const std::map<std::string, int64_t>& opsets) {
  ThreadPool pool(1);
  int folded = 0;
  std::vector<bool> dead(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (has_subgraph(n)) continue;
    bool all_const = true;
    int64_t in_elements = 0;
    for (int in : n.inputs) {
      if (in < 0) continue;
      const Tensor* t = constant(g, in);
      if (!t) { all_const = false; break; }
      in_elements += t->numel();
    }
    if (!all_const) continue;
    // Weights stored as Constant nodes (common in exported models): the attribute's tensor becomes
    // the initializer as it is, shared and not copied. Running the kernel would hold three copies of
    // every such weight at once (attribute, the kernel's own, the output).
    if (n.op_type == "Constant" && n.domain.empty() && n.outputs.size() == 1 && n.outputs[0] >= 0 &&
        n.attrs.all().size() == 1 && n.attrs.all()[0].name == "value" && n.attrs.all()[0].type == AttrType::kTensor &&
        !n.attrs.all()[0].t.empty() && dtype_size(n.attrs.all()[0].t.dtype()) != 0 && n.attrs.all()[0].t.owns_data()) {
      Value& v = g.values[static_cast<size_t>(n.outputs[0])];
      v.is_initializer = true;
      v.initializer = n.attrs.all()[0].t;
      v.dtype = v.initializer.dtype();
      v.producer = -1;
      g.nodes[i].attrs.erase("value");
      dead[i] = true;
      ++folded;
      continue;
    }
    auto kernel = create_node_kernel(g, n, node_opset(n, opsets));
    if (!kernel.is_ok()) return kernel.status();
    std::vector<TensorInfo> infos(n.inputs.size());
    std::vector<const TensorInfo*> info_ptrs;
    std::vector<const Tensor*> values;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const Tensor* t = constant(g, n.inputs[k]);
      values.push_back(t);
      if (t) infos[k] = TensorInfo{t->dtype(), t->shape()};
      info_ptrs.push_back(t ? &infos[k] : nullptr);
    }
    std::vector<bool> present;
    for (int out : n.outputs) present.push_back(out >= 0);
    InferContext ictx(n, node_opset(n, opsets), info_ptrs, values, present);
    Status st = kernel.value()->infer(ictx);
    if (st.code() == StatusCode::kDeferred) continue;
    EI_RETURN_IF_ERROR(st.with_context(n.error_prefix()));
    int64_t out_elements = 0;
    bool foldable = true;
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      if (n.outputs[o] < 0) continue;
      if (ictx.output_dynamic(static_cast<int>(o))) foldable = false;
      auto numel = checked_numel(ictx.outputs()[o].shape);
      if (!numel.is_ok()) return numel.status().with_context(n.error_prefix());
      out_elements += numel.value();
    }
    const bool is_constant_op = n.op_type == "Constant" && n.domain.empty();  // weights stored as Constant nodes
    if (!foldable || (!is_constant_op && out_elements > std::max(in_elements, kMaxFoldElements))) continue;
    std::vector<Tensor> outs(n.outputs.size());
    std::vector<Tensor*> out_ptrs;
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      if (n.outputs[o] < 0) { out_ptrs.push_back(nullptr); continue; }
      EI_ASSIGN_OR_RETURN(outs[o], Tensor::allocate(ictx.outputs()[o].dtype, ictx.outputs()[o].shape));
      out_ptrs.push_back(&outs[o]);
    }
    Tensor scratch;
    if (ictx.scratch_bytes()) {
      EI_ASSIGN_OR_RETURN(scratch, Tensor::allocate(DataType::kUint8, {static_cast<int64_t>(ictx.scratch_bytes())}));
    }
    RunContext rctx(n, values, out_ptrs, scratch.raw(), ictx.scratch_bytes(), &pool, nullptr);
    EI_RETURN_IF_ERROR(kernel.value()->run(rctx).with_context(n.error_prefix()));
    for (size_t o = 0; o < n.outputs.size(); ++o) {
      if (n.outputs[o] < 0) continue;
      Value& v = g.values[static_cast<size_t>(n.outputs[o])];
      v.is_initializer = true;
      v.dtype = outs[o].dtype();
      v.initializer = std::move(outs[o]);
      v.producer = -1;
    }
    dead[i] = true;
    ++folded;
  }
  erase_nodes(g, dead);
  return folded;
}

// Conv(X, W, B) -> BatchNormalization  ==>  Conv(X, W*s, (B-mean)*s + bias), s = scale/sqrt(var+eps).
// Gemm(A, B, C) -> BatchNormalization over dim 1 likewise, scaling the columns of B.
int fold_batchnorm(Graph& g) {
  Uses uses = count_uses(g);
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int out : g.nodes[i].outputs)
      if (out >= 0) producer[static_cast<size_t>(out)] = static_cast<int>(i);
  std::vector<bool> dead(g.nodes.size(), false);
  int folded = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& bn = g.nodes[i];
    if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || bn.inputs.size() < 5 || bn.inputs[0] < 0) continue;
    if (bn.attrs.get_int("training_mode", 0) != 0 || bn.attrs.get_int("spatial", 1) != 1) continue;
    bool extra_outputs = false;
    for (size_t o = 1; o < bn.outputs.size(); ++o) extra_outputs |= bn.outputs[o] >= 0;
    if (extra_outputs) continue;
    int x = bn.inputs[0];
    int p = producer[static_cast<size_t>(x)];
    if (p < 0 || dead[static_cast<size_t>(p)] || uses.count[static_cast<size_t>(x)] != 1 || uses.pinned[static_cast<size_t>(x)]) continue;
    Node& prod = g.nodes[static_cast<size_t>(p)];
    const bool is_conv = prod.op_type == "Conv" && prod.domain.empty();
    const bool is_gemm = prod.op_type == "Gemm" && prod.domain.empty();
    if ((!is_conv && !is_gemm) || prod.attrs.has("_activation") || prod.inputs.size() < 2) continue;
    const Tensor* w = constant(g, prod.inputs[1]);
    const Tensor* scale = constant(g, bn.inputs[1]);
    const Tensor* bias = constant(g, bn.inputs[2]);
    const Tensor* mean = constant(g, bn.inputs[3]);
    const Tensor* var = constant(g, bn.inputs[4]);
    if (!w || !scale || !bias || !mean || !var || w->dtype() != DataType::kFloat32) continue;
    int64_t channels;
    if (is_conv) {
      if (w->rank() < 3) continue;
      channels = w->dim(0);
    } else {
      if (w->rank() != 2 || prod.attrs.get_int("transA", 0) != 0) continue;
      channels = prod.attrs.get_int("transB", 0) ? w->dim(0) : w->dim(1);
    }
    bool params_ok = true;
    for (const Tensor* t : {scale, bias, mean, var})
      params_ok &= t->dtype() == DataType::kFloat32 && t->numel() == channels;
    if (!params_ok) continue;
    const Tensor* old_b = prod.inputs.size() > 2 ? constant(g, prod.inputs[2]) : nullptr;
    if (prod.inputs.size() > 2 && prod.inputs[2] >= 0 && !old_b) continue;
    float alpha = 1.0f, beta = 1.0f;
    if (is_gemm) {
      alpha = prod.attrs.get_float("alpha", 1.0f);
      beta = prod.attrs.get_float("beta", 1.0f);
      // C must broadcast along rows: a scalar, [N] or [1,N].
      if (old_b && !(old_b->numel() == 1 || (old_b->numel() == channels && old_b->shape().back() == channels))) continue;
    } else if (old_b && old_b->numel() != channels) {
      continue;
    }
    const float eps = bn.attrs.get_float("epsilon", 1e-5f);
    std::vector<float> s(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c)
      s[static_cast<size_t>(c)] = scale->data<float>()[c] / std::sqrt(var->data<float>()[c] + eps);

    Tensor new_w = w->clone();
    float* pw = new_w.data<float>();
    if (is_conv) {
      const int64_t per = w->numel() / channels;
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t k = 0; k < per; ++k) pw[c * per + k] *= s[static_cast<size_t>(c)];
    } else if (prod.attrs.get_int("transB", 0)) {
      const int64_t k_dim = w->dim(1);
      for (int64_t n = 0; n < channels; ++n)
        for (int64_t k = 0; k < k_dim; ++k) pw[n * k_dim + k] *= s[static_cast<size_t>(n)];
    } else {
      const int64_t k_dim = w->dim(0);
      for (int64_t k = 0; k < k_dim; ++k)
        for (int64_t n = 0; n < channels; ++n) pw[k * channels + n] *= s[static_cast<size_t>(n)];
    }
    Tensor new_b = Tensor::allocate(DataType::kFloat32, {channels}).value();
    for (int64_t c = 0; c < channels; ++c) {
      float b0 = 0.0f;
      if (old_b) b0 = (old_b->numel() == 1 ? old_b->data<float>()[0] : old_b->data<float>()[c]) * (is_gemm ? beta : 1.0f);
      new_b.data<float>()[c] = (b0 - mean->data<float>()[c]) * s[static_cast<size_t>(c)] + bias->data<float>()[c];
    }
    (void)alpha;  // alpha scales A*B, and the BN scale is applied to B, so alpha stays as it is.
    int w_id = add_initializer(g, g.values[static_cast<size_t>(prod.inputs[1])].name + "_bn", std::move(new_w));
    int b_id = add_initializer(g, g.values[static_cast<size_t>(bn.outputs[0])].name + "_bias", std::move(new_b));
    Node& prod2 = g.nodes[static_cast<size_t>(p)];  // add_initializer does not touch nodes
    prod2.inputs[1] = w_id;
    if (prod2.inputs.size() < 3) prod2.inputs.resize(3, -1);
    prod2.inputs[2] = b_id;
    if (is_gemm) {
      Attribute beta_attr;
      beta_attr.name = "beta";
      beta_attr.type = AttrType::kFloat;
      beta_attr.f = 1.0f;
      prod2.attrs.set(beta_attr);
    }
    prod2.outputs[0] = g.nodes[i].outputs[0];
    dead[i] = true;
    ++folded;
  }
  erase_nodes(g, dead);
  return folded;
}

// x * Clip(x + 3, 0, 6) / 6, as exporters spell HardSwish for opsets before 14, becomes one HardSwish
// node: one pass instead of four, and one buffer instead of two alive across them.
bool scalar_is(const Graph& g, int id, float want) {
  const Tensor* t = constant(g, id);
  return t && t->dtype() == DataType::kFloat32 && t->numel() == 1 && t->data<float>()[0] == want;
}

int fuse_hardswish(Graph& g, const std::map<std::string, int64_t>& opsets) {
  Uses uses = count_uses(g);
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int out : g.nodes[i].outputs)
      if (out >= 0) producer[static_cast<size_t>(out)] = static_cast<int>(i);
  // The node producing `id` when it is `op` and `id` feeds nothing else; else nullptr.
  auto single_use_producer = [&](int id, const char* op) -> const Node* {
    if (id < 0 || uses.count[static_cast<size_t>(id)] != 1 || uses.pinned[static_cast<size_t>(id)]) return nullptr;
    const int p = producer[static_cast<size_t>(id)];
    if (p < 0) return nullptr;
    const Node& n = g.nodes[static_cast<size_t>(p)];
    return n.domain.empty() && n.op_type == op && n.outputs.size() == 1 ? &n : nullptr;
  };
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& div = g.nodes[i];
    if (!div.domain.empty() || div.op_type != "Div" || div.inputs.size() != 2 || div.outputs.size() != 1 ||
        !scalar_is(g, div.inputs[1], 6.0f))
      continue;
    const Node* mul = single_use_producer(div.inputs[0], "Mul");
    if (!mul || mul->inputs.size() != 2) continue;
    for (int side = 0; side < 2; ++side) {
      const int x = mul->inputs[static_cast<size_t>(side)];
      const Node* clip = single_use_producer(mul->inputs[static_cast<size_t>(1 - side)], "Clip");
      if (x < 0 || !clip || clip->inputs.empty()) continue;
      if (node_opset(*clip, opsets) < 11) {
        if (clip->attrs.get_float("min", -1.0f) != 0.0f || clip->attrs.get_float("max", -1.0f) != 6.0f) continue;
      } else if (clip->inputs.size() != 3 || !scalar_is(g, clip->inputs[1], 0.0f) || !scalar_is(g, clip->inputs[2], 6.0f)) {
        continue;
      }
      const Node* add = single_use_producer(clip->inputs[0], "Add");
      if (!add || add->inputs.size() != 2) continue;
      const bool x_first = add->inputs[0] == x && scalar_is(g, add->inputs[1], 3.0f);
      const bool x_second = add->inputs[1] == x && scalar_is(g, add->inputs[0], 3.0f);
      if (!x_first && !x_second) continue;
      dead[static_cast<size_t>(producer[static_cast<size_t>(div.inputs[0])])] = true;
      dead[static_cast<size_t>(producer[static_cast<size_t>(mul->inputs[static_cast<size_t>(1 - side)])])] = true;
      dead[static_cast<size_t>(producer[static_cast<size_t>(clip->inputs[0])])] = true;
      Node& hs = g.nodes[i];
      hs.op_type = "HardSwish";
      hs.inputs = {x};
      hs.attrs = Attributes();
      ++fused;
      break;
    }
  }
  erase_nodes(g, dead);
  return fused;
}

int fuse_activations(Graph& g, const std::map<std::string, int64_t>& opsets) {
  Uses uses = count_uses(g);
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i)
    for (int out : g.nodes[i].outputs)
      if (out >= 0) producer[static_cast<size_t>(out)] = static_cast<int>(i);
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& act_node = g.nodes[i];
    if (!act_node.domain.empty() || act_node.inputs.empty() || act_node.inputs[0] < 0) continue;
    Activation act;
    const std::string& op = act_node.op_type;
    if (op == "Relu") act.kind = Activation::kRelu;
    else if (op == "Sigmoid") act.kind = Activation::kSigmoid;
    else if (op == "HardSwish") act.kind = Activation::kHardSwish;
    else if (op == "LeakyRelu") { act.kind = Activation::kLeakyRelu; act.a = act_node.attrs.get_float("alpha", 0.01f); }
    else if (op == "HardSigmoid") {
      act.kind = Activation::kHardSigmoid;
      act.a = act_node.attrs.get_float("alpha", 0.2f);
      act.b = act_node.attrs.get_float("beta", 0.5f);
    } else if (op == "Clip") {
      act.kind = Activation::kClip;
      act.a = -INFINITY;
      act.b = INFINITY;
      if (node_opset(act_node, opsets) < 11) {
        act.a = act_node.attrs.get_float("min", -INFINITY);
        act.b = act_node.attrs.get_float("max", INFINITY);
      } else {
        bool ok = true;
        for (size_t k = 1; k < act_node.inputs.size() && k < 3; ++k) {
          if (act_node.inputs[k] < 0) continue;
          const Tensor* t = constant(g, act_node.inputs[k]);
          if (!t || t->dtype() != DataType::kFloat32 || t->numel() != 1) { ok = false; break; }
          (k == 1 ? act.a : act.b) = t->data<float>()[0];
        }
        if (!ok) continue;
      }
    } else {
      continue;
    }
    int x = act_node.inputs[0];
    int p = producer[static_cast<size_t>(x)];
    if (p < 0 || dead[static_cast<size_t>(p)] || uses.count[static_cast<size_t>(x)] != 1 || uses.pinned[static_cast<size_t>(x)]) continue;
    Node& prod = g.nodes[static_cast<size_t>(p)];
    const bool fusable = prod.domain.empty() && (prod.op_type == "Conv" || prod.op_type == "ConvTranspose" ||
                                                 prod.op_type == "Gemm" || prod.op_type == "MatMul");
    if (!fusable || prod.attrs.has("_activation") || prod.outputs.size() != 1) continue;
    act.to_attrs(prod.attrs);
    prod.outputs[0] = act_node.outputs[0];
    dead[i] = true;
    ++fused;
  }
  erase_nodes(g, dead);
  return fused;
}

int remove_dead(Graph& g) {
  int removed = 0;
  for (;;) {
    Uses uses = count_uses(g);
    std::vector<bool> dead(g.nodes.size(), false);
    bool any = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      bool used = false;
      for (int out : g.nodes[i].outputs)
        if (out >= 0 && (uses.count[static_cast<size_t>(out)] || uses.pinned[static_cast<size_t>(out)])) used = true;
      if (!used) { dead[i] = true; any = true; ++removed; }
    }
    if (!any) break;
    erase_nodes(g, dead);
  }
  // Unused initializers free their memory (their Value entries stay; ids are stable).
  Uses uses = count_uses(g);
  for (size_t v = 0; v < g.values.size(); ++v) {
    Value& value = g.values[v];
    if (value.is_initializer && !uses.count[v] && !uses.pinned[v]) value.initializer = Tensor();
  }
  return removed;
}

}  // namespace

Result<OptimizerReport> optimize_graph(Graph& graph, const std::map<std::string, int64_t>& opsets) {
  OptimizerReport r;
  r.removed_identity = remove_identities(graph);
  EI_ASSIGN_OR_RETURN(r.folded_constants, fold_constants(graph, opsets));
  r.folded_batchnorm = fold_batchnorm(graph);
  r.fused_activations = fuse_hardswish(graph, opsets);
  r.fused_activations += fuse_activations(graph, opsets);
  r.removed_dead = remove_dead(graph);
  EI_RETURN_IF_ERROR(graph.sort_topologically());
  return r;
}

}  // namespace edgeinfer
