// Softmax and LogSoftmax. Opset < 13 coerces the input to 2-D at `axis` (default 1) and normalises
// each row of the flattened [prod(dims[:axis]), prod(dims[axis:])] matrix; opset >= 13 normalises
// along the single axis `axis` (default -1).
#include <algorithm>

#include "kernels/f32_softmax/f32_softmax.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

class SoftmaxKernel : public Kernel {
 public:
  SoftmaxKernel(int64_t axis, bool legacy, bool log) : axis_(axis), legacy_(legacy), log_(log) {}

  Status infer(InferContext& ctx) override {
    if (ctx.input_dtype(0) != DataType::kFloat32)
      return unsupported(std::string("input dtype ") + dtype_name(ctx.input_dtype(0)) + " (only float32)");
    const int rank = ctx.input_rank(0);
    if (rank == 0) return invalid_model("input must have rank >= 1");
    EI_ASSIGN_OR_RETURN(int axis, normalize_axis(axis_, rank));
    (void)axis;
    ctx.set_output(0, DataType::kFloat32, ctx.input_shape(0));
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    EI_ASSIGN_OR_RETURN(int axis, normalize_axis(axis_, x.rank()));
    int64_t outer = 1, n = 1, inner = 1;
    for (int d = 0; d < axis; ++d) outer *= x.dim(d);
    if (legacy_) {
      for (int d = axis; d < x.rank(); ++d) n *= x.dim(d);
    } else {
      n = x.dim(axis);
      for (int d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
    }
    if (outer * n * inner == 0) return Status::ok();
    const float* src = x.data<float>();
    float* dst = y.data<float>();
    const bool log = log_;
    if (inner == 1) {
      const int64_t grain = std::max<int64_t>(1, 16384 / n);
      ctx.pool().parallel_for(outer, grain, [&](int64_t b, int64_t e) {
        kernels::f32_softmax_rows(src + b * n, dst + b * n, e - b, n, log);
      });
    } else {
      // Tasks are (outer block, column chunk) so a single block, [1, C, H, W] at axis 1, still splits.
      const int64_t block = n * inner;
      const int64_t chunk = std::max<int64_t>(16, std::min<int64_t>(inner, 32768 / n) / 16 * 16);
      const int64_t nchunks = (inner + chunk - 1) / chunk;
      ctx.pool().parallel_for(outer * nchunks, 1, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) {
          const int64_t o = t / nchunks, j0 = (t % nchunks) * chunk;
          kernels::f32_softmax_strided(src + o * block + j0, dst + o * block + j0, n, std::min(chunk, inner - j0), inner,
                                       log);
        }
      });
    }
    return Status::ok();
  }

 private:
  int64_t axis_;
  bool legacy_;
  bool log_;
};

template <bool kLog>
Result<std::unique_ptr<Kernel>> create_softmax(const KernelInit& init) {
  EI_RETURN_IF_ERROR(init.error(init.attrs().check_type("axis", AttrType::kInt)));
  const bool legacy = init.opset < 13;
  const int64_t axis = init.attrs().get_int("axis", legacy ? 1 : -1);
  return std::unique_ptr<Kernel>(new SoftmaxKernel(axis, legacy, kLog));
}

}  // namespace

extern const OpRegistration kOpSoftmax = {"", "Softmax", &create_softmax<false>};
extern const OpRegistration kOpLogSoftmax = {"", "LogSoftmax", &create_softmax<true>};

}  // namespace edgeinfer
