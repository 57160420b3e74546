// CumSum: cumulative sum along the axis given by the second input, with the exclusive and reverse
// attributes.
#include <algorithm>

#include "ops/op.h"

namespace edgeinfer {
namespace {

class CumSumKernel : public Kernel {
 public:
  CumSumKernel(bool exclusive, bool reverse) : exclusive_(exclusive), reverse_(reverse) {}

  Status infer(InferContext& ctx) override {
    const DataType dt = ctx.input_dtype(0);
    if (!(dt == DataType::kFloat32 || dt == DataType::kFloat64 || dt == DataType::kInt32 || dt == DataType::kInt64 ||
          dt == DataType::kUint32 || dt == DataType::kUint64))
      return unsupported(std::string("input dtype ") + dtype_name(dt));
    if (!ctx.has_input(1)) return invalid_model("input 'axis' is required");
    if (const Tensor* a = ctx.input_value(1)) EI_RETURN_IF_ERROR(read_axis(*a, ctx.input_rank(0)).status());
    ctx.set_output(0, dt, ctx.input_shape(0));
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    EI_ASSIGN_OR_RETURN(int axis, read_axis(ctx.input(1), x.rank()));
    switch (x.dtype()) {
      case DataType::kFloat32: compute<float>(ctx, axis); break;
      case DataType::kFloat64: compute<double>(ctx, axis); break;
      case DataType::kInt32: compute<int32_t>(ctx, axis); break;
      case DataType::kInt64: compute<int64_t>(ctx, axis); break;
      case DataType::kUint32: compute<uint32_t>(ctx, axis); break;
      case DataType::kUint64: compute<uint64_t>(ctx, axis); break;
      default: return unsupported(std::string("input dtype ") + dtype_name(x.dtype()));
    }
    return Status::ok();
  }

 private:
  static Result<int> read_axis(const Tensor& t, int rank) {
    if (t.dtype() != DataType::kInt64 && t.dtype() != DataType::kInt32) return invalid_model("axis must be int32 or int64");
    if (t.numel() != 1 || t.rank() > 1) return invalid_model("axis must be a scalar, got shape " + shape_to_string(t.shape()));
    return normalize_axis(get_int(t, 0), rank);
  }

  template <typename T>
  void compute(RunContext& ctx, int axis) {
    const Tensor& x = ctx.input(0);
    int64_t outer = 1, inner = 1;
    const int64_t n = x.dim(axis);
    for (int d = 0; d < axis; ++d) outer *= x.dim(d);
    for (int d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
    const T* src = x.data<T>();
    T* dst = ctx.output(0).data<T>();
    const bool excl = exclusive_, rev = reverse_;
    ctx.pool().parallel_for(outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * inner)), [&](int64_t b, int64_t e) {
      std::vector<T> acc(static_cast<size_t>(inner));
      for (int64_t o = b; o < e; ++o) {
        std::fill(acc.begin(), acc.end(), T(0));
        for (int64_t s = 0; s < n; ++s) {
          const int64_t i = rev ? n - 1 - s : s;
          const T* in = src + (o * n + i) * inner;
          T* out = dst + (o * n + i) * inner;
          for (int64_t j = 0; j < inner; ++j) {
            if (excl) { out[j] = acc[j]; acc[j] += in[j]; }
            else { acc[j] += in[j]; out[j] = acc[j]; }
          }
        }
      }
    });
  }

  bool exclusive_, reverse_;
};

Result<std::unique_ptr<Kernel>> create_cumsum(const KernelInit& init) {
  const Attributes& a = init.attrs();
  EI_RETURN_IF_ERROR(init.error(a.check_type("exclusive", AttrType::kInt)));
  EI_RETURN_IF_ERROR(init.error(a.check_type("reverse", AttrType::kInt)));
  return std::unique_ptr<Kernel>(new CumSumKernel(a.get_int("exclusive", 0) != 0, a.get_int("reverse", 0) != 0));
}

}  // namespace

extern const OpRegistration kOpCumSum = {"", "CumSum", &create_cumsum};

}  // namespace edgeinfer
