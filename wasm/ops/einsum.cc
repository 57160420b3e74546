// Einsum with one or two operands: contractions, batch matmul, transposes, outer products, sums
// over labels, implicit output (no "->") and ellipsis broadcasting. Repeated labels inside one
// operand (diagonals) and more than two operands are rejected as unsupported.
// Plan: every label is batch (A, B, out), m (A, out), n (B, out), k (A, B) or summed-away (one
// operand only). A is gathered into [batch, m, k] (summing its private labels), B into
// [batch, k, n], a batched matmul gives [batch, m, n], and a final gather writes the output order.
// Size-1 dims broadcast (stride 0).
#include <algorithm>
#include <cstring>

#include "ops/op.h"

namespace edgeinfer {
namespace {

constexpr int kEllipsisBase = 128;  // labels: letters are their ASCII code, ellipsis dims 128 + i
constexpr int kNumLabels = 256;

struct Term {
  std::vector<int> labels;  // letters, in order
  int ellipsis_at = -1;     // position in `labels` where "..." stands, -1 if none
};

struct Plan {
  std::vector<std::vector<int>> in;  // per operand, one label per dim
  std::vector<int> out;
  std::vector<int64_t> size = std::vector<int64_t>(kNumLabels, 1);
};

Result<Term> parse_term(const std::string& s, const std::string& eq) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      t.labels.push_back(c);
    } else if (c == '.' && s.compare(i, 3, "...") == 0 && t.ellipsis_at < 0) {
      t.ellipsis_at = static_cast<int>(t.labels.size());
      i += 2;
    } else {
      return invalid_model("malformed Einsum equation '" + eq + "'");
    }
  }
  return t;
}

class EinsumKernel : public Kernel {
 public:
  EinsumKernel(std::string eq, std::vector<Term> in, bool explicit_out, Term out)
      : eq_(std::move(eq)), in_(std::move(in)), explicit_(explicit_out), out_(std::move(out)) {}

  Status infer(InferContext& ctx) override {
    const DataType dt = ctx.input_dtype(0);
    if (dt != DataType::kFloat32 && dt != DataType::kInt64 && dt != DataType::kInt32)
      return unsupported(std::string("input dtype ") + dtype_name(dt));
    std::vector<Shape> shapes;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      if (ctx.input_dtype(i) != dt) return invalid_model("Einsum inputs must share one dtype");
      shapes.push_back(ctx.input_shape(i));
    }
    EI_ASSIGN_OR_RETURN(Plan p, plan(shapes));
    Shape out;
    for (int l : p.out) out.push_back(p.size[static_cast<size_t>(l)]);
    ctx.set_output(0, dt, out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    switch (ctx.input(0).dtype()) {
      case DataType::kFloat32: return compute<float>(ctx);
      case DataType::kInt64: return compute<int64_t>(ctx);
      case DataType::kInt32: return compute<int32_t>(ctx);
      default: return unsupported("dtype");
    }
  }

 private:
  Result<Plan> plan(const std::vector<Shape>& shapes) const {
    if (shapes.size() != in_.size())
      return invalid_model("equation '" + eq_ + "' has " + std::to_string(in_.size()) + " operands but the node has " +
                           std::to_string(shapes.size()) + " inputs");
    Plan p;
    int max_ell = 0;
    for (size_t i = 0; i < in_.size(); ++i) {
      const int rank = static_cast<int>(shapes[i].size()), nl = static_cast<int>(in_[i].labels.size());
      if (in_[i].ellipsis_at < 0 ? rank != nl : rank < nl)
        return invalid_argument("operand " + std::to_string(i) + " of rank " + std::to_string(rank) +
                                " does not match its subscripts in '" + eq_ + "'");
      if (in_[i].ellipsis_at >= 0) max_ell = std::max(max_ell, rank - nl);
    }
    std::vector<bool> seen(kNumLabels, false);
    std::vector<int> count(kNumLabels, 0);
    for (size_t i = 0; i < in_.size(); ++i) {
      const Term& t = in_[i];
      const int ell = t.ellipsis_at < 0 ? 0 : static_cast<int>(shapes[i].size() - t.labels.size());
      std::vector<int> labels;
      for (int j = 0; j <= static_cast<int>(t.labels.size()); ++j) {
        if (j == t.ellipsis_at)
          for (int e = 0; e < ell; ++e) labels.push_back(kEllipsisBase + max_ell - ell + e);
        if (j < static_cast<int>(t.labels.size())) labels.push_back(t.labels[static_cast<size_t>(j)]);
      }
      std::vector<bool> here(kNumLabels, false);
      for (size_t d = 0; d < labels.size(); ++d) {
        const int l = labels[d];
        if (here[static_cast<size_t>(l)])
          return unsupported("repeated subscript '" + std::string(1, static_cast<char>(l)) + "' within one operand (diagonal) in Einsum equation '" + eq_ + "'");
        here[static_cast<size_t>(l)] = true;
        ++count[static_cast<size_t>(l)];
        const int64_t dim = shapes[i][d];
        int64_t& sz = p.size[static_cast<size_t>(l)];
        if (!seen[static_cast<size_t>(l)] || sz == 1) sz = dim;
        else if (dim != sz && dim != 1)
          return invalid_argument("dimension mismatch for subscript in '" + eq_ + "': " + std::to_string(sz) + " vs " +
                                  std::to_string(dim));
        seen[static_cast<size_t>(l)] = true;
      }
      p.in.push_back(labels);
    }
    if (explicit_) {
      for (int j = 0; j <= static_cast<int>(out_.labels.size()); ++j) {
        if (j == out_.ellipsis_at)
          for (int e = 0; e < max_ell; ++e) p.out.push_back(kEllipsisBase + e);
        if (j < static_cast<int>(out_.labels.size())) {
          const int l = out_.labels[static_cast<size_t>(j)];
          if (!seen[static_cast<size_t>(l)])
            return invalid_model("output subscript '" + std::string(1, static_cast<char>(l)) + "' does not appear in the inputs of '" + eq_ + "'");
          if (std::find(p.out.begin(), p.out.end(), l) != p.out.end())
            return invalid_model("output subscript repeated in '" + eq_ + "'");
          p.out.push_back(l);
        }
      }
    } else {
      for (int e = 0; e < max_ell; ++e) p.out.push_back(kEllipsisBase + e);
      for (int l = 0; l < kEllipsisBase; ++l)
        if (count[static_cast<size_t>(l)] == 1) p.out.push_back(l);
    }
    return p;
  }

  // dst[dst_labels...] = sum over sum_labels of src, where stride[l] is src's stride for label l.
  template <typename T>
  static void gather_sum(const T* src, const std::vector<int64_t>& stride, const std::vector<int>& dst_labels,
                         const std::vector<int>& sum_labels, const Plan& p, T* dst) {
    std::vector<int64_t> offs(1, 0);
    for (int l : sum_labels) {
      std::vector<int64_t> next;
      for (int64_t o : offs)
        for (int64_t i = 0; i < p.size[static_cast<size_t>(l)]; ++i) next.push_back(o + i * stride[static_cast<size_t>(l)]);
      offs.swap(next);
    }
    const size_t nd = dst_labels.size();
    std::vector<int64_t> idx(nd, 0);
    int64_t total = 1;
    for (int l : dst_labels) total *= p.size[static_cast<size_t>(l)];
    int64_t base = 0;
    for (int64_t o = 0; o < total; ++o) {
      T acc = 0;
      for (int64_t off : offs) acc += src[base + off];
      dst[o] = acc;
      for (size_t d = nd; d-- > 0;) {  // odometer over the dst labels
        const size_t l = static_cast<size_t>(dst_labels[d]);
        base += stride[l];
        if (++idx[d] < p.size[l]) break;
        base -= stride[l] * p.size[l];
        idx[d] = 0;
      }
    }
  }

  static std::vector<int64_t> label_strides(const std::vector<int>& labels, const Shape& shape) {
    std::vector<int64_t> st(kNumLabels, 0);
    int64_t s = 1;
    for (size_t d = labels.size(); d-- > 0;) {
      st[static_cast<size_t>(labels[d])] = shape[d] == 1 ? 0 : s;
      s *= shape[d];
    }
    return st;
  }

  template <typename T>
  Status compute(RunContext& ctx) {
    std::vector<Shape> shapes;
    for (int i = 0; i < ctx.num_inputs(); ++i) shapes.push_back(ctx.input(i).shape());
    EI_ASSIGN_OR_RETURN(Plan p, plan(shapes));
    Tensor& y = ctx.output(0);
    if (y.numel() == 0) return Status::ok();
    const std::vector<int>& la = p.in[0];
    const std::vector<int> empty;
    const std::vector<int>& lb = p.in.size() > 1 ? p.in[1] : empty;
    auto has = [](const std::vector<int>& v, int l) { return std::find(v.begin(), v.end(), l) != v.end(); };
    std::vector<int> batch, m, n, k, a_sum, b_sum;
    for (int l : la) {
      const bool in_b = has(lb, l), in_o = has(p.out, l);
      if (in_b && in_o) batch.push_back(l);
      else if (in_o) m.push_back(l);
      else if (in_b) k.push_back(l);
      else a_sum.push_back(l);
    }
    for (int l : lb) {
      if (has(la, l)) continue;
      (has(p.out, l) ? n : b_sum).push_back(l);
    }
    auto prod = [&](const std::vector<int>& ls) {
      int64_t s = 1;
      for (int l : ls) s *= p.size[static_cast<size_t>(l)];
      return s;
    };
    const int64_t NB = prod(batch), M = prod(m), N = prod(n), K = prod(k);
    if (NB * M * K > kMaxTensorElements || NB * K * N > kMaxTensorElements || NB * M * N > kMaxTensorElements)
      return resource_exhausted("Einsum intermediate too large");
    std::vector<T> pa(static_cast<size_t>(NB * M * K)), pb(static_cast<size_t>(NB * K * N), T(1));
    std::vector<T> c(static_cast<size_t>(NB * M * N), T(0));
    std::vector<int> a_order = batch;
    a_order.insert(a_order.end(), m.begin(), m.end());
    a_order.insert(a_order.end(), k.begin(), k.end());
    gather_sum(ctx.input(0).data<T>(), label_strides(la, shapes[0]), a_order, a_sum, p, pa.data());
    if (p.in.size() > 1) {
      std::vector<int> b_order = batch;
      b_order.insert(b_order.end(), k.begin(), k.end());
      b_order.insert(b_order.end(), n.begin(), n.end());
      gather_sum(ctx.input(1).data<T>(), label_strides(lb, shapes[1]), b_order, b_sum, p, pb.data());
    }
    ctx.pool().parallel_for(NB * M, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, K * N)), [&](int64_t b, int64_t e) {
      for (int64_t row = b; row < e; ++row) {
        const int64_t bt = row / M;
        const T* arow = pa.data() + row * K;
        const T* bmat = pb.data() + bt * K * N;
        T* crow = c.data() + row * N;
        for (int64_t kk = 0; kk < K; ++kk) {
          const T av = arow[kk];
          const T* brow = bmat + kk * N;
          for (int64_t j = 0; j < N; ++j) crow[j] += av * brow[j];
        }
      }
    });
    // C is [batch, m, n]; write it in the output's label order.
    std::vector<int> c_labels = batch;
    c_labels.insert(c_labels.end(), m.begin(), m.end());
    c_labels.insert(c_labels.end(), n.begin(), n.end());
    Shape c_shape;
    for (int l : c_labels) c_shape.push_back(p.size[static_cast<size_t>(l)]);
    std::vector<int64_t> cst(kNumLabels, 0);
    int64_t s = 1;
    for (size_t d = c_labels.size(); d-- > 0;) {
      cst[static_cast<size_t>(c_labels[d])] = s;
      s *= c_shape[d];
    }
    gather_sum(c.data(), cst, p.out, empty, p, y.data<T>());
    return Status::ok();
  }

  std::string eq_;
  std::vector<Term> in_;
  bool explicit_;
  Term out_;
};

Result<std::unique_ptr<Kernel>> create_einsum(const KernelInit& init) {
  EI_RETURN_IF_ERROR(init.error(init.attrs().check_type("equation", AttrType::kString)));
  const std::string raw = init.attrs().get_string("equation", "");
  std::string eq;
  for (char c : raw)
    if (c != ' ') eq += c;
  if (eq.empty()) return init.error(invalid_model("attribute 'equation' is required"));
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<Term> terms;
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    auto t = parse_term(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start), raw);
    if (!t.is_ok()) return init.error(t.status());
    terms.push_back(t.value());
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() > 2)
    return init.error(unsupported("Einsum with " + std::to_string(terms.size()) + " operands: '" + raw + "' (at most 2)"));
  if (static_cast<int>(terms.size()) != init.num_inputs())
    return init.error(invalid_model("equation '" + raw + "' names " + std::to_string(terms.size()) + " operands, node has " +
                                    std::to_string(init.num_inputs()) + " inputs"));
  Term out;
  const bool explicit_out = arrow != std::string::npos;
  if (explicit_out) {
    auto t = parse_term(eq.substr(arrow + 2), raw);
    if (!t.is_ok()) return init.error(t.status());
    out = t.value();
  }
  return std::unique_ptr<Kernel>(new EinsumKernel(raw, terms, explicit_out, out));
}

}  // namespace

extern const OpRegistration kOpEinsum = {"", "Einsum", &create_einsum};

}  // namespace edgeinfer
