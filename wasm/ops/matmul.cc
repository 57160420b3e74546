// MatMul with numpy semantics: 1-D operands are promoted (A to [1,K], B to [K,1]) and the promoted
// dim removed from the result; leading dims broadcast. A constant B is packed once (every batch
// matrix of it); otherwise B is packed per run into scratch. When B has no batch dims the batch of
// A folds into M so the whole op is a single GEMM.
#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/f32_gemm/f32_gemm.h"
#include "ops/activation.h"
#include "ops/matmul_shape.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

constexpr size_t kAlign = 16;
size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

class MatMulKernel final : public Kernel {
 public:
  explicit MatMulKernel(Activation act) : act_(act), cfg_(f32_gemm_config()) {}

  void prepack(const Tensor& b) {
    if (b.dtype() != DataType::kFloat32 || b.rank() == 0) return;
    b_shape_ = b.shape();
    const bool b1 = b.rank() == 1;
    const int64_t k = b1 ? b.dim(0) : b.dim(b.rank() - 2), n = b1 ? 1 : b.dim(b.rank() - 1);
    const int64_t count = k * n == 0 ? 1 : b.numel() / (k * n);
    const size_t one = f32_gemm_packed_size(static_cast<size_t>(k), static_cast<size_t>(n), cfg_.nr);
    packed_.resize(one * static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
      f32_gemm_pack_b(static_cast<size_t>(k), static_cast<size_t>(n), cfg_.nr, b.data<float>() + i * k * n,
                      static_cast<size_t>(n), 1, 1.0f, nullptr, 0, 0.0f, packed_.data() + i * one);
    prepacked_ = true;
  }

  Status infer(InferContext& ctx) override {
    if (ctx.num_inputs() != 2 || !ctx.has_input(0) || !ctx.has_input(1))
      return invalid_model("MatMul needs inputs A and B");
    for (int i = 0; i < 2; ++i)
      if (ctx.input_dtype(i) != DataType::kFloat32)
        return unsupported(std::string("MatMul on ") + dtype_name(ctx.input_dtype(i)) + " (float32 only)");
    EI_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(ctx.input_shape(0), ctx.input_shape(1)));
    if (!prepacked_)
      ctx.request_scratch(round_up(f32_gemm_packed_size(static_cast<size_t>(s.k), static_cast<size_t>(s.n), cfg_.nr)) *
                          static_cast<size_t>(s.b_count) * sizeof(float));
    ctx.set_output(0, DataType::kFloat32, s.out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    EI_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(a.shape(), b.shape()));
    if (prepacked_ && b.shape() != b_shape_) return internal_error("MatMul: B changed shape after prepacking");
    float* out = ctx.output(0).data<float>();
    if (s.m == 0 || s.n == 0 || s.batch_count == 0) return Status::ok();
    const size_t one = f32_gemm_packed_size(static_cast<size_t>(s.k), static_cast<size_t>(s.n), cfg_.nr);
    ThreadPool* pool = &ctx.pool();
    const float* packed = packed_.data();
    size_t packed_stride = one;
    if (!prepacked_) {
      packed_stride = round_up(one);
      if (packed_stride * static_cast<size_t>(s.b_count) * sizeof(float) > ctx.scratch_bytes())
        return internal_error("MatMul: scratch smaller than planned");
      float* dst = static_cast<float*>(ctx.scratch());
      const float* src = b.data<float>();
      const int64_t kn = s.k * s.n;
      auto pack = [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
          f32_gemm_pack_b(static_cast<size_t>(s.k), static_cast<size_t>(s.n), cfg_.nr, src + i * kn,
                          static_cast<size_t>(s.n), 1, 1.0f, nullptr, 0, 0.0f, dst + static_cast<size_t>(i) * packed_stride,
                          s.b_count == 1 ? pool : nullptr);
      };
      if (s.b_count > 1)
        pool->parallel_for(s.b_count, 1, [&](int64_t x, int64_t y) { pack(x, y); });
      else
        pack(0, 1);
      packed = dst;
    }
    const float* ad = a.data<float>();
    const int64_t mk = s.m * s.k, mn = s.m * s.n;
    if (!s.b_batched) {
      // A's batch (broadcast or not) is all rows of one GEMM when A is not itself broadcast.
      int64_t a_count = 1;
      for (int64_t d : s.a_batch) a_count *= d;
      if (a_count == s.batch_count) {
        f32_gemm(cfg_, s.batch_count * s.m, s.n, s.k, ad, s.k, packed, out, s.n, act_, pool);
        return Status::ok();
      }
    }
    f32_gemm_batched(cfg_, s.batch_count, s.m, s.n, s.k, s.k, s.n, act_, pool,
                     [&](int64_t ob, const float** pa, const float** pw, float** pc) {
                       *pa = ad + operand_batch(s.batch, s.a_batch, ob) * mk;
                       *pw = packed + static_cast<size_t>(operand_batch(s.batch, s.b_batch, ob)) * packed_stride;
                       *pc = out + ob * mn;
                     });
    return Status::ok();
  }

  size_t owned_bytes() const override { return packed_.size() * sizeof(float); }
  bool copied_constant_input(int i) const override { return prepacked_ && i == 1; }

 private:
  Activation act_;
  const F32GemmConfig& cfg_;
  bool prepacked_ = false;
  Shape b_shape_;
  std::vector<float> packed_;
};

Result<std::unique_ptr<Kernel>> create_matmul(const KernelInit& init) {
  auto act = Activation::from_attrs(init.attrs());
  if (!act.is_ok()) return init.error(act.status());
  auto k = std::make_unique<MatMulKernel>(*act);
  if (const Tensor* b = init.constant_input(1)) k->prepack(*b);
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

extern const OpRegistration kOpMatMul = {"", "MatMul", &create_matmul};

}  // namespace edgeinfer
