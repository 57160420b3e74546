#include "runtime/optimizer.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "ops/activation.h"
#include "ops/op.h"
#include "runtime/executor.h"
#include "runtime/graph_edit.h"
#include "runtime/node_eval.h"
#include "runtime/q8_lookup_fusion.h"
#include "runtime/qdq_rewrite.h"
#include "runtime/thread_pool.h"

namespace edgeinfer {

namespace {

// Folding a node whose output is much larger than its inputs would trade a cheap op for weight memory.
constexpr int64_t kMaxFoldElements = 1 << 16;



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

// keep_dequantize: DequantizeLinear nodes stay (their constant integer weights are what the QDQ rewrite
// turns into integer operators).
Result<int> fold_constants(Graph& g, const std::map<std::string, int64_t>& opsets, bool keep_dequantize) {
  int folded = 0;
  std::vector<bool> dead(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (has_subgraph(n)) continue;
    if (keep_dequantize && n.domain.empty() && n.op_type == "DequantizeLinear") continue;
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
    std::vector<const Tensor*> values;
    for (int in : n.inputs) values.push_back(constant(g, in));
    const bool is_constant_op = n.op_type == "Constant" && n.domain.empty();  // weights stored as Constant nodes
    EI_ASSIGN_OR_RETURN(auto result, evaluate_node(g, n, node_opset(n, opsets), values,
                                                   is_constant_op ? -1 : std::max(in_elements, kMaxFoldElements)));
    if (!result) continue;
    std::vector<Tensor>& outs = *result;
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
    // ConvTranspose W is [C_in, C_out / group, k...]; only group 1 here (output channel = dim 1).
    const bool is_convt = prod.op_type == "ConvTranspose" && prod.domain.empty() && prod.attrs.get_int("group", 1) == 1;
    if ((!is_conv && !is_gemm && !is_convt) || prod.attrs.has("_activation") || prod.inputs.size() < 2) continue;
    const Tensor* w = constant(g, prod.inputs[1]);
    const Tensor* scale = constant(g, bn.inputs[1]);
    const Tensor* bias = constant(g, bn.inputs[2]);
    const Tensor* mean = constant(g, bn.inputs[3]);
    const Tensor* var = constant(g, bn.inputs[4]);
    if (!w || !scale || !bias || !mean || !var || w->dtype() != DataType::kFloat32) continue;
    int64_t channels;
    if (is_conv || is_convt) {
      if (w->rank() < 3) continue;
      channels = w->dim(is_convt ? 1 : 0);
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
    } else if (is_convt) {
      const int64_t per = w->numel() / (w->dim(0) * channels);
      for (int64_t i = 0; i < w->dim(0); ++i)
        for (int64_t c = 0; c < channels; ++c)
          for (int64_t k = 0; k < per; ++k) pw[(i * channels + c) * per + k] *= s[static_cast<size_t>(c)];
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

// A float32 constant holding one value: its value.
bool scalar_constant(const Graph& g, int id, float* v) {
  const Tensor* t = constant(g, id);
  if (!t || t->dtype() != DataType::kFloat32 || t->numel() != 1) return false;
  *v = t->data<float>()[0];
  return true;
}

// For a binary op node with one input `x` and the other a constant: the constant's index (or -1).
int other_input(const Node& n, int x) {
  if (n.inputs.size() != 2) return -1;
  if (n.inputs[0] == x) return n.inputs[1];
  if (n.inputs[1] == x) return n.inputs[0];
  return -1;
}

// Conv -> Mul by a constant -> Add of a constant, the constants scalars or per output channel
// ([C,1,1] / [1,C,1,1]): folded into the Conv's weights and bias (PP-LCNet's learnable affine blocks
// follow most convolutions).
int fold_conv_affine(Graph& g) {
  int folded = 0;
  for (bool changed = true; changed;) {
    changed = false;
    Uses uses = count_uses(g);
    std::vector<int> producer = producers(g);
    std::vector<bool> dead(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& op = g.nodes[i];
      const bool is_mul = op.op_type == "Mul", is_add = op.op_type == "Add";
      if (!op.domain.empty() || (!is_mul && !is_add) || op.inputs.size() != 2 || op.outputs.size() != 1) continue;
      int x = -1, cidx = -1;
      for (int k = 0; k < 2; ++k) {
        const int v = op.inputs[static_cast<size_t>(k)];
        const int p = v >= 0 ? producer[static_cast<size_t>(v)] : -1;
        if (p >= 0 && !dead[static_cast<size_t>(p)] && g.nodes[static_cast<size_t>(p)].op_type == "Conv") {
          x = v;
          cidx = op.inputs[static_cast<size_t>(1 - k)];
        }
      }
      if (x < 0 || uses.count[static_cast<size_t>(x)] != 1 || uses.pinned[static_cast<size_t>(x)]) continue;
      const int p = producer[static_cast<size_t>(x)];
      Node& conv = g.nodes[static_cast<size_t>(p)];
      if (!conv.domain.empty() || conv.attrs.has("_activation") || conv.inputs.size() < 2 || conv.outputs.size() != 1)
        continue;
      const Tensor* w = constant(g, conv.inputs[1]);
      const Tensor* c = constant(g, cidx);
      if (!w || !c || w->dtype() != DataType::kFloat32 || c->dtype() != DataType::kFloat32 || w->rank() < 3) continue;
      const Tensor* old_b = conv.inputs.size() > 2 ? constant(g, conv.inputs[2]) : nullptr;
      if (conv.inputs.size() > 2 && conv.inputs[2] >= 0 && !old_b) continue;
      const int64_t channels = w->dim(0), out_rank = w->rank();
      // The constant must broadcast to the output without changing its shape: 1 element, or C elements
      // on the channel axis (right-aligned against [N, C, spatial...]).
      bool per_channel = false;
      if (c->numel() != 1) {
        if (c->rank() > out_rank || c->numel() != channels || c->rank() < out_rank - 1) continue;
        const int64_t axis = 1 - (out_rank - c->rank());
        if (axis < 0 || c->dim(static_cast<int>(axis)) != channels) continue;
        per_channel = true;
      } else if (c->rank() > out_rank) {
        continue;
      }
      auto at = [&](int64_t ch) { return c->data<float>()[per_channel ? ch : 0]; };
      Tensor new_b = Tensor::allocate(DataType::kFloat32, {channels}).value();
      for (int64_t ch = 0; ch < channels; ++ch) {
        const float b0 = old_b ? old_b->data<float>()[ch] : 0.0f;
        new_b.data<float>()[ch] = is_mul ? b0 * at(ch) : b0 + at(ch);
      }
      if (is_mul) {
        Tensor new_w = w->clone();
        const int64_t per = w->numel() / channels;
        for (int64_t ch = 0; ch < channels; ++ch)
          for (int64_t k = 0; k < per; ++k) new_w.data<float>()[ch * per + k] *= at(ch);
        const int w_id = add_initializer(g, g.values[static_cast<size_t>(conv.inputs[1])].name + "_scaled", std::move(new_w));
        g.nodes[static_cast<size_t>(p)].inputs[1] = w_id;
      }
      const int b_id = add_initializer(g, g.values[static_cast<size_t>(op.outputs[0])].name + "_bias", std::move(new_b));
      Node& conv2 = g.nodes[static_cast<size_t>(p)];
      if (conv2.inputs.size() < 3) conv2.inputs.resize(3, -1);
      conv2.inputs[2] = b_id;
      conv2.outputs[0] = g.nodes[i].outputs[0];
      dead[i] = true;
      dead[static_cast<size_t>(p)] = true;  // not again in this sweep: its output moved
      ++folded;
      changed = true;
    }
    for (size_t i = 0; i < dead.size(); ++i)
      if (dead[i] && g.nodes[i].op_type == "Conv") dead[i] = false;
    erase_nodes(g, dead);
  }
  return folded;
}

// x * Clip(x + 3, 0, 6) / 6 (or * 1/6), as exporters write HardSwish, becomes one HardSwish node.
int fuse_hardswish(Graph& g, const std::map<std::string, int64_t>& opsets) {
  Uses uses = count_uses(g);
  std::vector<int> producer = producers(g);
  std::vector<bool> dead(g.nodes.size(), false);
  int fused = 0;
  auto single = [&](int v) { return v >= 0 && uses.count[static_cast<size_t>(v)] == 1 && !uses.pinned[static_cast<size_t>(v)]; };
  auto prod_of = [&](int v, const char* type) -> int {
    const int p = v >= 0 ? producer[static_cast<size_t>(v)] : -1;
    if (p < 0 || dead[static_cast<size_t>(p)]) return -1;
    const Node& n = g.nodes[static_cast<size_t>(p)];
    return n.domain.empty() && n.op_type == type && n.outputs.size() == 1 ? p : -1;
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& last = g.nodes[i];
    if (!last.domain.empty() || last.inputs.size() != 2 || last.outputs.size() != 1) continue;
    float k = 0;
    int m = -1;
    if (last.op_type == "Div" && scalar_constant(g, last.inputs[1], &k) && k == 6.0f) m = last.inputs[0];
    if (last.op_type == "Mul") {
      for (int j = 0; j < 2; ++j)
        if (scalar_constant(g, last.inputs[static_cast<size_t>(j)], &k) && std::fabs(k * 6.0f - 1.0f) < 1e-6f)
          m = last.inputs[static_cast<size_t>(1 - j)];
    }
    const int pm = prod_of(m, "Mul");
    if (pm < 0 || !single(m)) continue;
    const Node& mul = g.nodes[static_cast<size_t>(pm)];
    // mul = x * clip (either order)
    int x = -1, pc = -1;
    for (int j = 0; j < 2 && pc < 0; ++j) {
      const int cand = mul.inputs[static_cast<size_t>(j)];
      const int p = prod_of(cand, "Clip");
      if (p >= 0 && single(cand)) {
        pc = p;
        x = mul.inputs[static_cast<size_t>(1 - j)];
      }
    }
    if (pc < 0 || x < 0) continue;
    const Node& clip = g.nodes[static_cast<size_t>(pc)];
    float lo = -INFINITY, hi = INFINITY;
    if (node_opset(clip, opsets) < 11) {
      lo = clip.attrs.get_float("min", -INFINITY);
      hi = clip.attrs.get_float("max", INFINITY);
    } else if (clip.inputs.size() != 3 || !scalar_constant(g, clip.inputs[1], &lo) ||
               !scalar_constant(g, clip.inputs[2], &hi)) {
      continue;
    }
    if (lo != 0.0f || hi != 6.0f) continue;
    const int pa = prod_of(clip.inputs[0], "Add");
    if (pa < 0 || !single(clip.inputs[0])) continue;
    const int three = other_input(g.nodes[static_cast<size_t>(pa)], x);
    float t = 0;
    if (three < 0 || !scalar_constant(g, three, &t) || t != 3.0f) continue;
    // HardSwish(x) has x's shape; the pattern's constants must not broadcast x to a higher rank:
    // rank-0 constants never do, [1] ones only when x is known not to be a scalar.
    const Value& xv = g.values[static_cast<size_t>(x)];
    const bool x_not_scalar = xv.has_shape && !xv.dims.empty();
    const int scale_in = last.op_type == "Div" ? last.inputs[1] : (last.inputs[0] == m ? last.inputs[1] : last.inputs[0]);
    bool scalars_ok = true;
    for (int v : {three, clip.inputs.size() > 1 ? clip.inputs[1] : -1, clip.inputs.size() > 2 ? clip.inputs[2] : -1,
                  scale_in}) {
      const Tensor* c = constant(g, v);
      if (c && c->rank() > 0) scalars_ok &= c->rank() == 1 && x_not_scalar;
    }
    if (!scalars_ok) continue;
    Node& out = g.nodes[i];
    out.op_type = "HardSwish";
    out.inputs = {x};
    out.attrs = Attributes();
    dead[static_cast<size_t>(pm)] = dead[static_cast<size_t>(pc)] = dead[static_cast<size_t>(pa)] = true;
    ++fused;
  }
  erase_nodes(g, dead);
  return fused;
}

// Op(act) -> Mul by a scalar -> Add of a scalar, where the op's fused activation is applied in a
// pass over finished tiles (HardSigmoid, HardSwish, Sigmoid): the affine map joins that pass. And
// Op(LeakyRelu) -> Max with a scalar: a floor on the LeakyRelu.
int fuse_post_affine(Graph& g) {
  int fused = 0;
  for (bool changed = true; changed;) {
    changed = false;
    Uses uses = count_uses(g);
    std::vector<int> producer = producers(g);
    std::vector<bool> dead(g.nodes.size(), false);
    std::vector<bool> touched(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& op = g.nodes[i];
      const bool is_mul = op.op_type == "Mul", is_add = op.op_type == "Add", is_max = op.op_type == "Max";
      if (!op.domain.empty() || (!is_mul && !is_add && !is_max) || op.inputs.size() != 2 || op.outputs.size() != 1)
        continue;
      for (int k = 0; k < 2; ++k) {
        const int x = op.inputs[static_cast<size_t>(k)], cidx = op.inputs[static_cast<size_t>(1 - k)];
        const int p = x >= 0 ? producer[static_cast<size_t>(x)] : -1;
        float v = 0;
        const Tensor* c = constant(g, cidx);
        if (p < 0 || touched[static_cast<size_t>(p)] || !scalar_constant(g, cidx, &v)) continue;
        if (uses.count[static_cast<size_t>(x)] != 1 || uses.pinned[static_cast<size_t>(x)]) continue;
        Node& prod = g.nodes[static_cast<size_t>(p)];
        // The scalar must not raise the output's rank: rank <= 1, or up to a Conv's (its W's) rank.
        const Tensor* pw = prod.inputs.size() > 1 ? constant(g, prod.inputs[1]) : nullptr;
        if (c->rank() > 1 && !(prod.op_type == "Conv" && pw && c->rank() <= pw->rank())) continue;
        const bool fusable = prod.domain.empty() && prod.outputs.size() == 1 &&
                             (prod.op_type == "Conv" || prod.op_type == "ConvTranspose" || prod.op_type == "Gemm" ||
                              prod.op_type == "MatMul");
        if (!fusable || !prod.attrs.has("_activation")) continue;
        auto act = Activation::from_attrs(prod.attrs);
        if (!act.is_ok()) continue;
        Activation a = *act;
        if (is_max) {
          // Max(LeakyRelu(x), c) (openWakeWord): a floor on the LeakyRelu, applied in the store step.
          if (a.kind != Activation::kLeakyRelu || std::isnan(v)) continue;
          a.b = std::max(a.b, v);
        } else if (a.kind != Activation::kHardSwish && a.kind != Activation::kHardSigmoid &&
                   a.kind != Activation::kSigmoid) {
          continue;
        } else if (is_mul) {
          a.scale *= v;
          a.shift *= v;
        } else {
          a.shift += v;
        }
        a.to_attrs(prod.attrs);
        prod.outputs[0] = op.outputs[0];
        dead[i] = true;
        touched[static_cast<size_t>(p)] = true;
        ++fused;
        changed = true;
        break;
      }
    }
    erase_nodes(g, dead);
  }
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
    else if (op == "LeakyRelu") {
      act.kind = Activation::kLeakyRelu;
      act.a = act_node.attrs.get_float("alpha", 0.01f);
      act.b = -INFINITY;
    }
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

// Pass order. Identity/Dropout go first so that patterns see through them. Constants fold in two
// steps around the QDQ rewrite: the first (Constant nodes -> initializers, constant subgraphs such as
// Q(float weight)) keeps DequantizeLinear nodes, so that DQ(integer weight) is still there for the
// rewrite to match; the second folds the DQ(weight) nodes no integer op took into float weights. The
// rewrite runs before the float fusions: BatchNormalization folding and the activation fusions would
// otherwise merge Relu/Clip into a float Conv/Gemm/MatMul (attribute `_activation`) and break the
// DQ -> op -> [Relu|Clip] -> Q pattern (the rewrite folds Relu/Clip itself). A BatchNormalization
// between a DQ'd Conv and its Q therefore keeps the unit in float; onnxruntime's quantizer folds
// BatchNormalization before it inserts QDQ pairs, so such models are rare.
Result<OptimizerReport> optimize_graph(Graph& graph, std::map<std::string, int64_t>& opsets,
                                       const OptimizerOptions& options) {
  OptimizerReport r;
  r.removed_identity = remove_identities(graph);
  if (options.qdq_rewrite) {
    EI_ASSIGN_OR_RETURN(r.folded_constants, fold_constants(graph, opsets, /*keep_dequantize=*/true));
    EI_ASSIGN_OR_RETURN(r.q8_lookups, fuse_q8_lookups(graph, opsets));
    EI_ASSIGN_OR_RETURN(r.qdq_rewritten, rewrite_qdq(graph, opsets));
  }
  EI_ASSIGN_OR_RETURN(int folded, fold_constants(graph, opsets, /*keep_dequantize=*/false));
  r.folded_constants += folded;
  r.folded_batchnorm = fold_batchnorm(graph);
  r.folded_affine = fold_conv_affine(graph);
  r.fused_activations = fuse_hardswish(graph, opsets);
  r.fused_activations += fuse_activations(graph, opsets);
  r.fused_activations += fuse_post_affine(graph);
  r.removed_dead = remove_dead(graph);
  EI_RETURN_IF_ERROR(graph.sort_topologically());
  return r;
}

}  // namespace edgeinfer
