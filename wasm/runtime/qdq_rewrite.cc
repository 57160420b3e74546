#include "runtime/qdq_rewrite.h"

#include <cmath>
#include <limits>
#include <vector>

#include "kernels/quant_reference/quant_reference.h"
#include "runtime/graph_edit.h"

namespace edgeinfer {
namespace {

constexpr DataType kU = DataType::kUndefined;

// A float bias b[n] becomes round(b[n] / (x_scale * w_scale[n])): an error of at most half that step,
// i.e. 0.5 * x_scale * w_scale[n] / y_scale output units. The pattern is kept only while that is at most
// 1/16 of a unit, so the rewrite stays within the 1-unit requantization difference.
constexpr float kMaxBiasStep = 0.125f;
// |quantized bias| bound, leaving int32 room for the accumulation.
constexpr float kMaxBiasQ = 1073741824.0f;  // 2^30
// A DQ(int32) bias must have scale x_scale * w_scale[n] up to float rounding.
constexpr float kBiasScaleRelTol = 1e-6f;

bool q8(DataType t) { return t == DataType::kInt8 || t == DataType::kUint8; }

int32_t as_i32(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kInt8: return t.data<int8_t>()[i];
    case DataType::kUint8: return t.data<uint8_t>()[i];
    case DataType::kInt32: return t.data<int32_t>()[i];
    default: return 0;
  }
}

// Scale / zero point of a QuantizeLinear or DequantizeLinear node, all constant.
struct QParam {
  int scale = -1, zp = -1;  // value ids; zp -1 when the input is absent (zero)
  DataType dtype = kU;      // the integer tensor's dtype
  int axis = -1;            // normalized quantization axis, -1 per tensor
  std::vector<float> s;
  std::vector<int32_t> z;  // as many as s
  bool per_tensor() const { return axis < 0; }
  float sc(int64_t n) const { return s[per_tensor() ? 0 : static_cast<size_t>(n)]; }
  int32_t zc(int64_t n) const { return z[per_tensor() ? 0 : static_cast<size_t>(n)]; }
};

// The node unit's end: Op -> [Relu | Clip] -> QuantizeLinear.
struct Tail {
  int q = -1, act = -1;  // node indices
  int out = -1;          // Q's output value: the rewritten unit's output
  QParam y;
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
};

class Rewriter {
 public:
  Rewriter(Graph& g, std::map<std::string, int64_t>& opsets) : g_(g), opsets_(opsets) {
    uses_ = count_uses(g);
    producer_ = producers(g);
    consumer_.assign(g.values.size(), -1);
    for (size_t i = 0; i < g.nodes.size(); ++i)
      for (int in : g.nodes[i].inputs)
        if (in >= 0) consumer_[static_cast<size_t>(in)] = static_cast<int>(i);
    dead_.assign(g.nodes.size(), false);
    auto it = opsets.find("");
    opset_ = it == opsets.end() ? 1 : it->second;
    // Integer values produced by QuantizeLinear keep their dtype when the Q is replaced by an integer
    // op writing the same value, so DQ nodes downstream can still be read.
    qtype_.assign(g.values.size(), kU);
    for (const Node& n : g.nodes)
      if (is(n, "QuantizeLinear") && !n.outputs.empty() && n.outputs[0] >= 0)
        qtype_[static_cast<size_t>(n.outputs[0])] = q_output_dtype(n);
  }

  Result<int> run() {
    int rewritten = 0;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (dead_[i] || !g_.nodes[i].domain.empty()) continue;
      const std::string op = g_.nodes[i].op_type;
      bool done = false;
      if (op == "Conv") done = conv(i);
      else if (op == "MatMul") done = matmul(i);
      else if (op == "Gemm") done = gemm(i);
      else if (op == "Add" || op == "Mul") done = binary(i, op == "Add" ? "QLinearAdd" : "QLinearMul");
      else if (op == "GlobalAveragePool") done = unary(i, "QLinearGlobalAveragePool");
      else if (op == "AveragePool") done = unary(i, "QLinearAveragePool");
      else if (op == "Concat") done = concat(i);
      else if (op == "MaxPool" || op == "Reshape" || op == "Transpose" || op == "Flatten" || op == "Squeeze" ||
               op == "Unsqueeze" || (op == "Resize" && selects_values(g_.nodes[i])))
        done = passthrough(i);
      rewritten += done ? 1 : 0;
    }
    if (rewritten == 0) return 0;
    erase_nodes(g_, dead_);
    for (Node& n : pending_) g_.nodes.push_back(std::move(n));
    // DequantizeLinear nodes no rewritten node reads any more (their weights stay integer).
    Uses uses = count_uses(g_);
    std::vector<bool> unused(g_.nodes.size(), false);
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const Node& n = g_.nodes[i];
      if (!is(n, "DequantizeLinear")) continue;
      bool read = false;
      for (int out : n.outputs)
        if (out >= 0 && (uses.count[static_cast<size_t>(out)] || uses.pinned[static_cast<size_t>(out)])) read = true;
      unused[i] = !read;
    }
    erase_nodes(g_, unused);
    if (uses_contrib_ && !opsets_.count("com.microsoft")) opsets_["com.microsoft"] = 1;
    EI_RETURN_IF_ERROR(g_.sort_topologically());
    return rewritten;
  }

 private:
  static bool is(const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

  DataType q_output_dtype(const Node& q) const {
    if (q.inputs.size() > 2 && q.inputs[2] >= 0) {
      const Tensor* z = constant(g_, q.inputs[2]);
      return z ? z->dtype() : kU;
    }
    const int64_t od = q.attrs.get_int("output_dtype", 0);
    return od ? static_cast<DataType>(od) : DataType::kUint8;
  }

  DataType value_dtype(int v) const {
    if (v < 0) return kU;
    const Value& val = g_.values[static_cast<size_t>(v)];
    if (val.is_initializer) return val.initializer.dtype();
    if (static_cast<size_t>(v) < qtype_.size() && qtype_[static_cast<size_t>(v)] != kU)
      return qtype_[static_cast<size_t>(v)];
    return val.dtype;  // declared: graph inputs, value_info
  }

  // Reads a Q/DQ node's parameters; `rank` is the quantized tensor's rank (-1 unknown: per tensor only).
  bool read_qparam(const Node& n, int rank, QParam* p) const {
    if (n.inputs.size() < 2 || n.inputs[0] < 0 || n.inputs[1] < 0 || n.outputs.empty() || n.outputs[0] < 0) return false;
    if (n.attrs.get_int("block_size", 0) != 0) return false;
    const Tensor* s = constant(g_, n.inputs[1]);
    if (!s || s->dtype() != DataType::kFloat32 || s->numel() < 1) return false;
    p->scale = n.inputs[1];
    p->s.assign(s->data<float>(), s->data<float>() + s->numel());
    // A positive scale keeps Q monotone (the Relu/Clip folding relies on it).
    for (float v : p->s)
      if (!(v > 0.0f) || !std::isfinite(v)) return false;
    if (s->numel() == 1 && s->rank() <= 1) {
      p->axis = -1;
    } else {
      if (s->rank() != 1 || rank < 0 || opset_ < 13) return false;
      auto ax = normalize_axis(n.attrs.get_int("axis", 1), rank);
      if (!ax.is_ok()) return false;
      p->axis = *ax;
    }
    p->zp = n.inputs.size() > 2 ? n.inputs[2] : -1;
    p->z.clear();
    if (p->zp >= 0) {
      const Tensor* z = constant(g_, p->zp);
      if (!z || z->numel() != s->numel() || (!p->per_tensor() && z->shape() != s->shape())) return false;
      if (!q8(z->dtype()) && z->dtype() != DataType::kInt32) return false;
      p->dtype = z->dtype();
      for (int64_t i = 0; i < z->numel(); ++i) p->z.push_back(as_i32(*z, i));
    } else {
      p->z.assign(p->s.size(), 0);
    }
    if (n.op_type == "QuantizeLinear") {
      const int64_t od = n.attrs.get_int("output_dtype", 0);
      if (p->zp < 0) p->dtype = od ? static_cast<DataType>(od) : DataType::kUint8;
      else if (od && static_cast<DataType>(od) != p->dtype) return false;
    } else {
      const DataType xt = value_dtype(n.inputs[0]);
      if (p->zp < 0) p->dtype = xt;
      else if (xt != kU && xt != p->dtype) return false;
    }
    return p->dtype != kU;
  }

  // The live DequantizeLinear node writing value v, or -1.
  int dq_of(int v) const {
    if (v < 0 || static_cast<size_t>(v) >= producer_.size()) return -1;
    const int p = producer_[static_cast<size_t>(v)];
    if (p < 0 || dead_[static_cast<size_t>(p)]) return -1;
    const Node& n = g_.nodes[static_cast<size_t>(p)];
    return is(n, "DequantizeLinear") && n.outputs.size() == 1 && n.outputs[0] == v ? p : -1;
  }

  // v = DQ(x) with per-tensor int8/uint8 parameters: its integer input and parameters.
  bool activation_dq(int v, QParam* p, int* x) const {
    const int d = dq_of(v);
    if (d < 0) return false;
    const Node& n = g_.nodes[static_cast<size_t>(d)];
    if (!read_qparam(n, -1, p) || !p->per_tensor() || !q8(p->dtype)) return false;
    *x = n.inputs[0];
    return true;
  }

  // Relu / Clip with constant bounds: the range it clamps to.
  bool activation_range(const Node& a, float* lo, float* hi) const {
    if (a.op_type == "Relu") {
      *lo = 0.0f;
      return true;
    }
    if (opset_ < 11) {
      *lo = a.attrs.get_float("min", -std::numeric_limits<float>::infinity());
      *hi = a.attrs.get_float("max", std::numeric_limits<float>::infinity());
    } else {
      for (size_t k = 1; k < a.inputs.size() && k < 3; ++k) {
        if (a.inputs[k] < 0) continue;
        const Tensor* t = constant(g_, a.inputs[k]);
        if (!t || t->dtype() != DataType::kFloat32 || t->numel() != 1) return false;
        (k == 1 ? *lo : *hi) = t->data<float>()[0];
      }
      if (a.inputs.size() > 3) return false;
    }
    return !std::isnan(*lo) && !std::isnan(*hi);
  }

  // Op's output read only by [Relu|Clip ->] QuantizeLinear (per tensor, int8/uint8), nothing else.
  bool find_tail(const Node& t, bool allow_act, Tail* tail) const {
    if (t.outputs.empty() || t.outputs[0] < 0) return false;
    for (size_t o = 1; o < t.outputs.size(); ++o) {
      const int v = t.outputs[o];
      if (v >= 0 && (uses_.count[static_cast<size_t>(v)] || uses_.pinned[static_cast<size_t>(v)])) return false;
    }
    int v = t.outputs[0];
    if (!uses_.single(v)) return false;
    int c = consumer_[static_cast<size_t>(v)];
    if (c < 0 || dead_[static_cast<size_t>(c)]) return false;
    const Node* cn = &g_.nodes[static_cast<size_t>(c)];
    if (allow_act && (is(*cn, "Relu") || is(*cn, "Clip"))) {
      if (cn->inputs.empty() || cn->inputs[0] != v || cn->outputs.size() != 1 || cn->outputs[0] < 0) return false;
      if (!activation_range(*cn, &tail->lo, &tail->hi)) return false;
      tail->act = c;
      v = cn->outputs[0];
      if (!uses_.single(v)) return false;
      c = consumer_[static_cast<size_t>(v)];
      if (c < 0 || dead_[static_cast<size_t>(c)]) return false;
      cn = &g_.nodes[static_cast<size_t>(c)];
    }
    if (!is(*cn, "QuantizeLinear") || cn->inputs.empty() || cn->inputs[0] != v) return false;
    if (!read_qparam(*cn, -1, &tail->y) || !tail->y.per_tensor() || !q8(tail->y.dtype)) return false;
    tail->q = c;
    tail->out = cn->outputs[0];
    return true;
  }

  std::string fresh_name(const std::string& base) const {
    std::string name = base;
    for (int k = 1; g_.find_value(name) >= 0; ++k) name = base + "_" + std::to_string(k);
    return name;
  }
  int new_value(const std::string& base) { return g_.add_value(fresh_name(base)); }

  // A constant of dtype `dt` and shape `shape` filled with v.
  int int_constant(const std::string& base, DataType dt, const Shape& shape, int32_t v) {
    Tensor t = Tensor::allocate(dt, shape).value();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (dt == DataType::kInt8) t.data<int8_t>()[i] = static_cast<int8_t>(v);
      else if (dt == DataType::kUint8) t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
      else t.data<int32_t>()[i] = v;
    }
    return add_initializer(g_, base, std::move(t));
  }

  // The zero point as an input: the model's, or zeros shaped like the scale when it has none.
  int zp_input(const QParam& p, const std::string& base) {
    if (p.zp >= 0) return p.zp;
    const Shape shape = g_.values[static_cast<size_t>(p.scale)].initializer.shape();
    return int_constant(base + "_zero_point", p.dtype, shape, 0);
  }

  void add_node(const std::string& name, const std::string& op, std::vector<int> ins, std::vector<int> outs,
                std::vector<Attribute> attrs = {}) {
    Node n;
    n.name = fresh_name(name);
    n.op_type = op;
    n.inputs = std::move(ins);
    n.outputs = std::move(outs);
    for (Attribute& a : attrs) n.attrs.set(std::move(a));
    pending_.push_back(std::move(n));
  }

  // The value the integer op writes. With a Relu/Clip in the tail that the integer range does not
  // already saturate at, Max/Min nodes on the integer tensor follow it into the tail's output.
  int emit_range(const std::string& base, const Tail& tail) {
    if (tail.act < 0) return tail.out;
    const DataType dt = tail.y.dtype;
    const float s = tail.y.s[0];
    const int32_t z = tail.y.z[0];
    auto q = [&](float v) {
      return dt == DataType::kInt8 ? int32_t{quantize_value<int8_t>(v, s, z)} : int32_t{quantize_value<uint8_t>(v, s, z)};
    };
    const int32_t qlo_t = dt == DataType::kInt8 ? qmin<int8_t>() : qmin<uint8_t>();
    const int32_t qhi_t = dt == DataType::kInt8 ? qmax<int8_t>() : qmax<uint8_t>();
    const int32_t lo = q(tail.lo), hi = q(tail.hi);
    const bool need_lo = lo > qlo_t, need_hi = hi < qhi_t;
    if (!need_lo && !need_hi) return tail.out;
    const int first = new_value(base + "_unclamped");
    int cur = first;
    if (need_lo) {
      const int next = need_hi ? new_value(base + "_floor") : tail.out;
      add_node(base + "_qmin", "Max", {cur, int_constant(base + "_qlo", dt, {}, lo)}, {next});
      cur = next;
    }
    if (need_hi) add_node(base + "_qmax", "Min", {cur, int_constant(base + "_qhi", dt, {}, hi)}, {tail.out});
    return first;
  }

  void kill_tail(const Tail& tail) {
    dead_[static_cast<size_t>(tail.q)] = true;
    if (tail.act >= 0) dead_[static_cast<size_t>(tail.act)] = true;
  }

  // Node i becomes the com.microsoft integer op `op_type` writing the tail's quantized output.
  bool become_contrib(size_t i, const char* op_type, std::vector<int> ins, const Tail& tail) {
    Node& n = g_.nodes[i];
    n.op_type = op_type;
    n.domain = "com.microsoft";
    n.inputs = std::move(ins);
    n.outputs = {tail.out};
    kill_tail(tail);
    uses_contrib_ = true;
    return true;
  }

  std::string base_name(size_t i) const {
    const Node& n = g_.nodes[i];
    return n.name.empty() ? g_.values[static_cast<size_t>(n.outputs[0])].name : n.name;
  }

  // Conv/Gemm bias as an int32 input of scale x_scale * w_scale[n]: a DQ(int32 constant) with that
  // scale and zero point 0, or a float constant quantized here. -1 when neither fits.
  int int_bias(int b, const QParam& qx, const QParam& qw, const QParam& qy, int64_t c_out) {
    auto step = [&](int64_t n) { return qx.s[0] * qw.sc(n); };
    if (const Tensor* bf = constant(g_, b)) {
      if (bf->dtype() != DataType::kFloat32 || bf->numel() != c_out || bf->shape().back() != c_out) return -1;
      Tensor q = Tensor::allocate(DataType::kInt32, {c_out}).value();
      for (int64_t n = 0; n < c_out; ++n) {
        const float s = step(n);
        if (s / qy.s[0] > kMaxBiasStep) return -1;
        const float r = round_half_even(bf->data<float>()[n] / s);
        if (!(std::fabs(r) <= kMaxBiasQ)) return -1;
        q.data<int32_t>()[n] = static_cast<int32_t>(r);
      }
      return add_initializer(g_, g_.values[static_cast<size_t>(b)].name + "_quantized", std::move(q));
    }
    const int d = dq_of(b);
    if (d < 0) return -1;
    const Node& dn = g_.nodes[static_cast<size_t>(d)];
    const Tensor* bi = constant(g_, dn.inputs[0]);
    if (!bi || bi->dtype() != DataType::kInt32 || bi->rank() != 1 || bi->dim(0) != c_out) return -1;
    QParam qb;
    if (!read_qparam(dn, 1, &qb)) return -1;
    if (!qb.per_tensor() && (qb.axis != 0 || static_cast<int64_t>(qb.s.size()) != c_out)) return -1;
    for (int64_t n = 0; n < c_out; ++n) {
      if (qb.zc(n) != 0) return -1;
      const float want = step(n);
      if (std::fabs(qb.sc(n) - want) > kBiasScaleRelTol * want) return -1;
    }
    return dn.inputs[0];
  }

  // Weight DQ(w) with w an int8/uint8 constant of rank >= min_rank, per tensor or per axis `axis`.
  bool weight_dq(int v, int min_rank, int axis, QParam* p, int* w, Shape* shape) const {
    const int d = dq_of(v);
    if (d < 0) return false;
    const Node& n = g_.nodes[static_cast<size_t>(d)];
    const Tensor* wt = constant(g_, n.inputs[0]);
    if (!wt || !q8(wt->dtype()) || wt->rank() < min_rank) return false;
    if (!read_qparam(n, wt->rank(), p)) return false;
    const int ax = axis < 0 ? wt->rank() + axis : axis;
    if (!p->per_tensor() && (p->axis != ax || static_cast<int64_t>(p->s.size()) != wt->dim(ax))) return false;
    *w = n.inputs[0];
    *shape = wt->shape();
    return true;
  }

  // DQ(x), DQ(w const) [, bias] -> Conv [-> Relu|Clip] -> Q  ==>  QLinearConv
  bool conv(size_t i) {
    const Node& t = g_.nodes[i];
    if (t.inputs.size() < 2 || t.inputs.size() > 3 || t.outputs.size() != 1) return false;
    QParam qx, qw;
    int x = -1, w = -1;
    Shape ws;
    Tail tail;
    if (!activation_dq(t.inputs[0], &qx, &x) || !weight_dq(t.inputs[1], 3, 0, &qw, &w, &ws) ||
        !find_tail(t, true, &tail))
      return false;
    const std::string base = base_name(i);
    int bias = -1;
    if (t.inputs.size() > 2 && t.inputs[2] >= 0) {
      bias = int_bias(t.inputs[2], qx, qw, tail.y, ws[0]);
      if (bias < 0) return false;
    }
    std::vector<int> ins = {x, qx.scale, zp_input(qx, base + "_x"), w, qw.scale, zp_input(qw, base + "_w"),
                            tail.y.scale, zp_input(tail.y, base + "_y")};
    if (bias >= 0) ins.push_back(bias);
    const int out = emit_range(base, tail);
    Node& n = g_.nodes[i];
    n.op_type = "QLinearConv";
    n.inputs = std::move(ins);
    n.outputs = {out};
    kill_tail(tail);
    return true;
  }

  // DQ(a), DQ(b) -> MatMul [-> Relu|Clip] -> Q  ==>  QLinearMatMul;
  // DQ(a), DQ(b const) -> MatMul (float out)  ==>  MatMulIntegerToFloat.
  bool matmul(size_t i) {
    const Node& t = g_.nodes[i];
    if (t.inputs.size() != 2 || t.outputs.size() != 1) return false;
    QParam qa, qb;
    int a = -1, b = -1;
    if (!activation_dq(t.inputs[0], &qa, &a)) return false;
    Shape bs;
    const bool b_const = weight_dq(t.inputs[1], 2, -1, &qb, &b, &bs);
    if (!b_const && !activation_dq(t.inputs[1], &qb, &b)) return false;
    const std::string base = base_name(i);
    Tail tail;
    if (find_tail(t, true, &tail)) {
      std::vector<int> ins = {a, qa.scale, zp_input(qa, base + "_a"), b, qb.scale, zp_input(qb, base + "_b"),
                              tail.y.scale, zp_input(tail.y, base + "_y")};
      const int out = emit_range(base, tail);
      Node& n = g_.nodes[i];
      n.op_type = "QLinearMatMul";
      n.inputs = std::move(ins);
      n.outputs = {out};
      kill_tail(tail);
      return true;
    }
    if (!b_const) return false;
    std::vector<int> ins = {a, b, qa.scale, qb.scale, zp_input(qa, base + "_a"), zp_input(qb, base + "_b")};
    // A following Add of a constant float [N] bias joins as the op's bias input (as onnxruntime's
    // MatMulIntegerToFloat fusion does).
    int add = -1, bias = -1;
    const int mm_out = t.outputs[0];
    const int c = uses_.single(mm_out) ? consumer_[static_cast<size_t>(mm_out)] : -1;
    if (c >= 0) {
      const Node& cn = g_.nodes[static_cast<size_t>(c)];
      if (!dead_[static_cast<size_t>(c)] && is(cn, "Add") && cn.inputs.size() == 2 && cn.outputs.size() == 1) {
        const int other = cn.inputs[0] == mm_out ? cn.inputs[1] : cn.inputs[0];
        const Tensor* bt = constant(g_, other);
        if (bt && bt->dtype() == DataType::kFloat32 && bt->rank() == 1 && bt->dim(0) == bs.back() && other != mm_out) {
          add = c;
          bias = other;
        }
      }
    }
    if (bias >= 0) ins.push_back(bias);  // input 6
    Node& n = g_.nodes[i];
    n.op_type = "MatMulIntegerToFloat";
    n.domain = "com.microsoft";
    n.inputs = std::move(ins);
    if (add >= 0) {
      n.outputs = {g_.nodes[static_cast<size_t>(add)].outputs[0]};
      dead_[static_cast<size_t>(add)] = true;
    }
    uses_contrib_ = true;
    return true;
  }

  // DQ(a) [M,K], DQ(b const) [N,K] (transB 1, alpha 1, beta 1) [, bias] -> Gemm [-> Relu|Clip] -> Q
  // ==>  Reshape(a, [M,K,1,1]) -> QLinearConv(w [N,K,1,1]) -> Reshape([M,N]): QLinearConv is the
  // integer op with an int32 bias and per-output-channel weight scales.
  bool gemm(size_t i) {
    const Node& t = g_.nodes[i];
    if (t.inputs.size() < 2 || t.inputs.size() > 3 || t.outputs.size() != 1) return false;
    if (t.attrs.get_int("transA", 0) != 0 || t.attrs.get_int("transB", 0) != 1 ||
        t.attrs.get_float("alpha", 1.0f) != 1.0f || t.attrs.get_float("beta", 1.0f) != 1.0f)
      return false;
    QParam qa, qw;
    int a = -1, w = -1;
    Shape ws;
    Tail tail;
    if (!activation_dq(t.inputs[0], &qa, &a) || !weight_dq(t.inputs[1], 2, 0, &qw, &w, &ws) || ws.size() != 2 ||
        !find_tail(t, true, &tail))
      return false;
    const Value& av = g_.values[static_cast<size_t>(t.inputs[0])];
    const Value& ai = g_.values[static_cast<size_t>(a)];
    // A must be 2-D (Gemm's spec); a declared rank other than 2 is left to the Gemm kernel to report.
    if ((av.has_shape && av.dims.size() != 2) || (ai.has_shape && ai.dims.size() != 2)) return false;
    const std::string base = base_name(i);
    int bias = -1;
    if (t.inputs.size() > 2 && t.inputs[2] >= 0) {
      bias = int_bias(t.inputs[2], qa, qw, tail.y, ws[0]);
      if (bias < 0) return false;
    }
    const Tensor& wt = g_.values[static_cast<size_t>(w)].initializer;
    const int w4 = add_initializer(g_, g_.values[static_cast<size_t>(w)].name + "_nk11", wt.reshaped({ws[0], ws[1], 1, 1}));
    const int to4 = add_initializer(g_, base + "_shape_nk11", Tensor::from_vector<int64_t>({4}, {0, -1, 1, 1}));
    const int to2 = add_initializer(g_, base + "_shape_mn", Tensor::from_vector<int64_t>({2}, {0, -1}));
    const int a4 = new_value(base + "_a4"), y4 = new_value(base + "_y4");
    std::vector<int> ins = {a4, qa.scale, zp_input(qa, base + "_a"), w4, qw.scale, zp_input(qw, base + "_w"),
                            tail.y.scale, zp_input(tail.y, base + "_y")};
    if (bias >= 0) ins.push_back(bias);
    const int out = emit_range(base, tail);
    add_node(base + "_to_nk11", "Reshape", {a, to4}, {a4});
    add_node(base + "_to_mn", "Reshape", {y4, to2}, {out});
    Node& n = g_.nodes[i];
    n.op_type = "QLinearConv";
    n.inputs = std::move(ins);
    n.outputs = {y4};
    n.attrs = Attributes();
    kill_tail(tail);
    return true;
  }

  // DQ(a), DQ(b) -> Add|Mul -> Q  ==>  QLinearAdd|QLinearMul (one dtype throughout, as onnxruntime's).
  bool binary(size_t i, const char* qop) {
    const Node& t = g_.nodes[i];
    if (t.inputs.size() != 2 || t.outputs.size() != 1) return false;
    QParam qa, qb;
    int a = -1, b = -1;
    Tail tail;
    if (!activation_dq(t.inputs[0], &qa, &a) || !activation_dq(t.inputs[1], &qb, &b) || !find_tail(t, false, &tail))
      return false;
    if (qa.dtype != qb.dtype || qa.dtype != tail.y.dtype) return false;
    const std::string base = base_name(i);
    std::vector<int> ins = {a, qa.scale, zp_input(qa, base + "_a"), b, qb.scale, zp_input(qb, base + "_b"),
                            tail.y.scale, zp_input(tail.y, base + "_y")};
    return become_contrib(i, qop, std::move(ins), tail);
  }

  // DQ(x) -> GlobalAveragePool|AveragePool -> Q  ==>  the com.microsoft QLinear op
  // (X, X_scale, X_zp, Y_scale, Y_zp); attributes carry over (channels_last 0 for the pools).
  bool unary(size_t i, const char* qop) {
    const Node& t = g_.nodes[i];
    if (t.inputs.size() != 1) return false;
    QParam qx;
    int x = -1;
    Tail tail;
    if (!activation_dq(t.inputs[0], &qx, &x) || !find_tail(t, false, &tail) || qx.dtype != tail.y.dtype) return false;
    const std::string base = base_name(i);
    std::vector<int> ins = {x, qx.scale, zp_input(qx, base + "_x"), tail.y.scale, zp_input(tail.y, base + "_y")};
    return become_contrib(i, qop, std::move(ins), tail);
  }

  // DQ(x0), DQ(x1), ... -> Concat -> Q  ==>  QLinearConcat(Y_scale, Y_zp, x0, s0, z0, ...)
  bool concat(size_t i) {
    const Node& t = g_.nodes[i];
    if (t.inputs.empty() || t.outputs.size() != 1) return false;
    Tail tail;
    if (!find_tail(t, false, &tail)) return false;
    const std::string base = base_name(i);
    std::vector<QParam> qs(t.inputs.size());
    std::vector<int> xs(t.inputs.size(), -1);
    for (size_t k = 0; k < t.inputs.size(); ++k)
      if (!activation_dq(t.inputs[k], &qs[k], &xs[k]) || qs[k].dtype != tail.y.dtype) return false;
    std::vector<int> ins = {tail.y.scale, zp_input(tail.y, base + "_y")};
    for (size_t k = 0; k < t.inputs.size(); ++k) {
      ins.push_back(xs[k]);
      ins.push_back(qs[k].scale);
      ins.push_back(zp_input(qs[k], base + "_x" + std::to_string(k)));
    }
    return become_contrib(i, "QLinearConcat", std::move(ins), tail);
  }

  // Resize in nearest mode copies input values (tf_crop_and_resize may write extrapolation_value, a
  // float that would need quantizing).
  static bool selects_values(const Node& n) {
    return n.attrs.get_string("mode", "nearest") == "nearest" &&
           n.attrs.get_string("coordinate_transformation_mode", "half_pixel") != "tf_crop_and_resize";
  }

  // DQ(x) -> MaxPool|Reshape|Transpose|Flatten|Squeeze|Unsqueeze|Resize (nearest) -> Q with the same scale and zero
  // point: the op moves or selects values without computing new ones, so it runs on x directly.
  bool passthrough(size_t i) {
    const Node& t = g_.nodes[i];
    if (t.inputs.empty()) return false;
    QParam qx;
    int x = -1;
    Tail tail;
    if (!activation_dq(t.inputs[0], &qx, &x) || !find_tail(t, false, &tail)) return false;
    if (qx.dtype != tail.y.dtype || qx.s[0] != tail.y.s[0] || qx.z[0] != tail.y.z[0]) return false;
    Node& n = g_.nodes[i];
    n.inputs[0] = x;
    n.outputs[0] = tail.out;
    kill_tail(tail);
    return true;
  }

  Graph& g_;
  std::map<std::string, int64_t>& opsets_;
  int64_t opset_ = 1;
  Uses uses_;
  std::vector<int> producer_, consumer_;
  std::vector<DataType> qtype_;
  std::vector<bool> dead_;
  std::vector<Node> pending_;
  bool uses_contrib_ = false;
};

}  // namespace

Result<int> rewrite_qdq(Graph& graph, std::map<std::string, int64_t>& opsets) {
  Rewriter r(graph, opsets);
  return r.run();
}

}  // namespace edgeinfer
