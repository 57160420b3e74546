// ArgMax, ArgMin (axis, keepdims, select_last_index) and TopK (k attribute before opset 10, K input
// from 10; largest and sorted from 11). Ties resolve to the lower index (TopK, ArgMax by default).
#include <algorithm>
#include <numeric>

#include "ops/op.h"

namespace edgeinfer {
namespace {

bool arg_dtype_ok(DataType dt) {
  return dt == DataType::kFloat32 || dt == DataType::kInt64 || dt == DataType::kInt32 || dt == DataType::kUint8 ||
         dt == DataType::kInt8 || dt == DataType::kFloat64;
}

class ArgKernel : public Kernel {
 public:
  ArgKernel(bool is_max, int64_t axis, bool keepdims, bool last) : is_max_(is_max), axis_(axis), keepdims_(keepdims), last_(last) {}

  Status infer(InferContext& ctx) override {
    if (!arg_dtype_ok(ctx.input_dtype(0))) return unsupported(std::string("input dtype ") + dtype_name(ctx.input_dtype(0)));
    const Shape& in = ctx.input_shape(0);
    EI_ASSIGN_OR_RETURN(int axis, normalize_axis(axis_, static_cast<int>(in.size())));
    if (in[static_cast<size_t>(axis)] == 0) return invalid_argument("cannot take an arg-reduction over an empty axis");
    Shape out = in;
    if (keepdims_) out[static_cast<size_t>(axis)] = 1;
    else out.erase(out.begin() + axis);
    ctx.set_output(0, DataType::kInt64, out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    switch (x.dtype()) {
      case DataType::kFloat32: return compute<float>(ctx);
      case DataType::kFloat64: return compute<double>(ctx);
      case DataType::kInt64: return compute<int64_t>(ctx);
      case DataType::kInt32: return compute<int32_t>(ctx);
      case DataType::kUint8: return compute<uint8_t>(ctx);
      case DataType::kInt8: return compute<int8_t>(ctx);
      default: return unsupported(std::string("input dtype ") + dtype_name(x.dtype()));
    }
  }

 private:
  template <typename T>
  Status compute(RunContext& ctx) {
    const Tensor& x = ctx.input(0);
    EI_ASSIGN_OR_RETURN(int axis, normalize_axis(axis_, x.rank()));
    int64_t outer = 1, inner = 1;
    const int64_t n = x.dim(axis);
    for (int d = 0; d < axis; ++d) outer *= x.dim(d);
    for (int d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
    const T* src = x.data<T>();
    int64_t* dst = ctx.output(0).data<int64_t>();
    const bool is_max = is_max_, last = last_;
    ctx.pool().parallel_for(outer * inner, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, n)), [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t o = t / inner, j = t % inner;
        const T* p = src + o * n * inner + j;
        T best = p[0];
        int64_t bi = 0;
        for (int64_t i = 1; i < n; ++i) {
          const T v = p[i * inner];
          const bool better = is_max ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
          if (better) { best = v; bi = i; }
        }
        dst[t] = bi;
      }
    });
    return Status::ok();
  }

  bool is_max_;
  int64_t axis_;
  bool keepdims_, last_;
};

template <bool kMax>
Result<std::unique_ptr<Kernel>> create_arg(const KernelInit& init) {
  const Attributes& a = init.attrs();
  for (const char* n : {"axis", "keepdims", "select_last_index"})
    EI_RETURN_IF_ERROR(init.error(a.check_type(n, AttrType::kInt)));
  return std::unique_ptr<Kernel>(new ArgKernel(kMax, a.get_int("axis", 0), a.get_int("keepdims", 1) != 0,
                                               a.get_int("select_last_index", 0) != 0));
}

class TopKKernel : public Kernel {
 public:
  TopKKernel(int64_t k_attr, int64_t axis, bool largest) : k_attr_(k_attr), axis_(axis), largest_(largest) {}

  Status infer(InferContext& ctx) override {
    const DataType dt = ctx.input_dtype(0);
    if (!(dt == DataType::kFloat32 || dt == DataType::kFloat64 || dt == DataType::kInt64 || dt == DataType::kInt32 ||
          dt == DataType::kUint8 || dt == DataType::kInt8))
      return unsupported(std::string("input dtype ") + dtype_name(dt));
    int64_t k = k_attr_;
    if (k_attr_ < 0) {
      if (!ctx.has_input(1)) return invalid_model("input K is required");
      const Tensor* kv = ctx.input_value(1);
      if (!kv) return ctx.deferred(1);
      EI_ASSIGN_OR_RETURN(k, read_k(*kv));
    }
    const Shape& in = ctx.input_shape(0);
    EI_ASSIGN_OR_RETURN(int axis, normalize_axis(axis_, static_cast<int>(in.size())));
    if (k > in[static_cast<size_t>(axis)])
      return invalid_argument("K " + std::to_string(k) + " is larger than the axis dim " + std::to_string(in[static_cast<size_t>(axis)]));
    Shape out = in;
    out[static_cast<size_t>(axis)] = k;
    ctx.set_output(0, dt, out);
    if (ctx.num_outputs() > 1) ctx.set_output(1, DataType::kInt64, out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    switch (ctx.input(0).dtype()) {
      case DataType::kFloat32: return compute<float>(ctx);
      case DataType::kFloat64: return compute<double>(ctx);
      case DataType::kInt64: return compute<int64_t>(ctx);
      case DataType::kInt32: return compute<int32_t>(ctx);
      case DataType::kUint8: return compute<uint8_t>(ctx);
      case DataType::kInt8: return compute<int8_t>(ctx);
      default: return unsupported(std::string("input dtype ") + dtype_name(ctx.input(0).dtype()));
    }
  }

 private:
  static Result<int64_t> read_k(const Tensor& t) {
    if (t.dtype() != DataType::kInt64) return invalid_model("K must be int64");
    if (t.numel() != 1 || t.rank() > 1) return invalid_model("K must be a 1-D tensor of one element, got " + shape_to_string(t.shape()));
    const int64_t k = t.data<int64_t>()[0];
    if (k < 0) return invalid_argument("K must be >= 0, got " + std::to_string(k));
    return k;
  }

  template <typename T>
  Status compute(RunContext& ctx) {
    const Tensor& x = ctx.input(0);
    EI_ASSIGN_OR_RETURN(int axis, normalize_axis(axis_, x.rank()));
    int64_t k = k_attr_;
    if (k < 0) { EI_ASSIGN_OR_RETURN(k, read_k(ctx.input(1))); }
    const int64_t n = x.dim(axis);
    if (k > n) return invalid_argument("K " + std::to_string(k) + " is larger than the axis dim " + std::to_string(n));
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= x.dim(d);
    for (int d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
    const T* src = x.data<T>();
    T* vals = ctx.output(0).data<T>();
    int64_t* idx = ctx.has_output(1) ? ctx.output(1).data<int64_t>() : nullptr;
    const bool largest = largest_;
    if (k == 0) return Status::ok();
    ctx.pool().parallel_for(outer * inner, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, n)), [&](int64_t b, int64_t e) {
      std::vector<int64_t> order(static_cast<size_t>(n));
      for (int64_t t = b; t < e; ++t) {
        const int64_t o = t / inner, j = t % inner;
        const T* p = src + o * n * inner + j;
        std::iota(order.begin(), order.end(), 0);
        auto cmp = [&](int64_t a, int64_t c) {
          const T va = p[a * inner], vc = p[c * inner];
          if (va != vc) return largest ? va > vc : va < vc;
          return a < c;
        };
        if (k < n) std::partial_sort(order.begin(), order.begin() + k, order.end(), cmp);
        else std::sort(order.begin(), order.end(), cmp);
        for (int64_t i = 0; i < k; ++i) {
          const int64_t at = (o * k + i) * inner + j;
          vals[at] = p[order[static_cast<size_t>(i)] * inner];
          if (idx) idx[at] = order[static_cast<size_t>(i)];
        }
      }
    });
    return Status::ok();
  }

  int64_t k_attr_;  // -1: from input K
  int64_t axis_;
  bool largest_;
};

Result<std::unique_ptr<Kernel>> create_topk(const KernelInit& init) {
  const Attributes& a = init.attrs();
  for (const char* n : {"axis", "k", "largest", "sorted"}) EI_RETURN_IF_ERROR(init.error(a.check_type(n, AttrType::kInt)));
  int64_t k = -1;
  if (init.opset < 10) {
    if (!a.has("k")) return init.error(invalid_model("attribute 'k' is required before opset 10"));
    k = a.get_int("k", 0);
    if (k < 0) return init.error(invalid_model("k must be >= 0"));
  } else if (a.has("k")) {
    return init.error(invalid_model("'k' is an input, not an attribute, from opset 10"));
  }
  const bool largest = init.opset < 11 ? true : a.get_int("largest", 1) != 0;
  // sorted=0 leaves the order unspecified; returning sorted results satisfies it.
  return std::unique_ptr<Kernel>(new TopKKernel(k, a.get_int("axis", -1), largest));
}

}  // namespace

extern const OpRegistration kOpArgMax = {"", "ArgMax", &create_arg<true>};
extern const OpRegistration kOpArgMin = {"", "ArgMin", &create_arg<false>};
extern const OpRegistration kOpTopK = {"", "TopK", &create_topk};

}  // namespace edgeinfer
