// Gemm: Y = alpha * op(A) * op(B) + beta * C, with C unidirectionally broadcast to [M, N] (optional
// from opset 11), plus the optimizer's fused activation. A constant B is packed once at session
// creation with alpha folded in; a constant C that varies only along N (or is a scalar) is folded
// into the packed bias so the whole op is one pass of the microkernel.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/f32_gemm/f32_gemm.h"
#include "ops/activation.h"
#include "ops/op.h"

namespace edgeinfer {
namespace {

constexpr size_t kAlign = 16;  // floats: scratch sub-buffers start on 64-byte boundaries
size_t round_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// C's dims as (rows, cols) once right-aligned against [M, N]; false if not unidirectionally broadcastable.
bool c_dims(const Shape& c, int64_t m, int64_t n, int64_t* cm, int64_t* cn) {
  if (c.size() > 2) return false;
  *cm = c.size() == 2 ? c[0] : 1;
  *cn = c.empty() ? 1 : c.back();
  return (*cm == 1 || *cm == m) && (*cn == 1 || *cn == n);
}

struct CAddCtx {
  const float* c;
  int64_t cm, cn;
  float beta;
};

void add_beta_c(void* ctx, int64_t m0, int64_t mc, int64_t n0, int64_t nc, float* out, int64_t ldc) {
  const CAddCtx& p = *static_cast<const CAddCtx*>(ctx);
  for (int64_t i = 0; i < mc; ++i) {
    const float* crow = p.c + (p.cm == 1 ? 0 : (m0 + i) * p.cn);
    float* o = out + i * ldc;
    if (p.cn == 1)
      for (int64_t j = 0; j < nc; ++j) o[j] += p.beta * crow[0];
    else
      for (int64_t j = 0; j < nc; ++j) o[j] += p.beta * crow[n0 + j];
  }
}

class GemmKernel final : public Kernel {
 public:
  GemmKernel(float alpha, float beta, bool trans_a, bool trans_b, Activation act)
      : alpha_(alpha), beta_(beta), trans_a_(trans_a), trans_b_(trans_b), act_(act), cfg_(f32_gemm_config()) {}

  Status prepack(const Tensor& b, const Tensor* c) {
    if (b.dtype() != DataType::kFloat32 || b.rank() != 2) return Status::ok();  // infer() reports it
    k_ = trans_b_ ? b.dim(1) : b.dim(0);
    n_ = trans_b_ ? b.dim(0) : b.dim(1);
    const float* bias = nullptr;
    size_t bias_stride = 0;
    if (c && c->dtype() == DataType::kFloat32 && beta_ != 0.0f) {
      int64_t cm, cn;
      // Only a C that is the same for every row folds into the packed bias.
      if (c_dims(c->shape(), -1, n_, &cm, &cn) && cm == 1) {
        bias = c->data<float>();
        bias_stride = cn == 1 ? 0 : 1;
        c_folded_ = true;
      }
    }
    packed_.resize(f32_gemm_packed_size(static_cast<size_t>(k_), static_cast<size_t>(n_), cfg_.nr));
    pack(b.data<float>(), bias, bias_stride, packed_.data(), nullptr);
    prepacked_ = true;
    return Status::ok();
  }

  Status infer(InferContext& ctx) override {
    for (int i = 0; i < ctx.num_inputs(); ++i)
      if (ctx.has_input(i) && ctx.input_dtype(i) != DataType::kFloat32)
        return unsupported(std::string("Gemm on ") + dtype_name(ctx.input_dtype(i)) + " (float32 only)");
    if (ctx.num_inputs() < 2 || !ctx.has_input(0) || !ctx.has_input(1))
      return invalid_model("Gemm needs inputs A and B");
    const Shape& a = ctx.input_shape(0);
    const Shape& b = ctx.input_shape(1);
    if (a.size() != 2 || b.size() != 2)
      return invalid_argument("Gemm expects 2-D A and B, got A " + shape_to_string(a) + " and B " +
                              shape_to_string(b));
    const int64_t m = trans_a_ ? a[1] : a[0], ka = trans_a_ ? a[0] : a[1];
    const int64_t kb = trans_b_ ? b[1] : b[0], n = trans_b_ ? b[0] : b[1];
    if (ka != kb)
      return invalid_argument("Gemm inner dimensions differ: A " + shape_to_string(a) + (trans_a_ ? " (transA)" : "") +
                              " and B " + shape_to_string(b) + (trans_b_ ? " (transB)" : ""));
    if (ctx.has_input(2)) {
      int64_t cm, cn;
      if (!c_dims(ctx.input_shape(2), m, n, &cm, &cn))
        return invalid_argument("Gemm C " + shape_to_string(ctx.input_shape(2)) +
                                " does not broadcast to [" + std::to_string(m) + "," + std::to_string(n) + "]");
    }
    size_t scratch = 0;
    if (trans_a_) scratch += round_up(static_cast<size_t>(m * ka));
    if (!prepacked_) scratch += round_up(f32_gemm_packed_size(static_cast<size_t>(ka), static_cast<size_t>(n), cfg_.nr));
    ctx.request_scratch(scratch * sizeof(float));
    ctx.set_output(0, DataType::kFloat32, {m, n});
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    const int64_t m = trans_a_ ? a.dim(1) : a.dim(0), k = trans_a_ ? a.dim(0) : a.dim(1);
    const int64_t n = trans_b_ ? b.dim(0) : b.dim(1);
    if (prepacked_ && (k != k_ || n != n_)) return internal_error("Gemm: B changed shape after prepacking");
    Tensor& y = ctx.output(0);
    float* out = y.data<float>();
    if (m == 0 || n == 0) return Status::ok();
    const Tensor* c = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    int64_t cm = 1, cn = 1;
    if (c && !c_dims(c->shape(), m, n, &cm, &cn)) return invalid_argument("Gemm C does not broadcast");

    size_t need = 0;
    if (trans_a_) need += round_up(static_cast<size_t>(m * k));
    if (!prepacked_) need += round_up(f32_gemm_packed_size(static_cast<size_t>(k), static_cast<size_t>(n), cfg_.nr));
    if (need * sizeof(float) > ctx.scratch_bytes()) return internal_error("Gemm: scratch smaller than planned");
    float* scratch = static_cast<float*>(ctx.scratch());
    ThreadPool* pool = &ctx.pool();

    const float* a_rows = a.data<float>();
    if (trans_a_) {
      float* t = scratch;
      scratch += round_up(static_cast<size_t>(m * k));
      const float* src = a.data<float>();
      for (int64_t p = 0; p < k; ++p)
        for (int64_t i = 0; i < m; ++i) t[i * k + p] = src[p * m + i];
      a_rows = t;
    }
    bool c_in_bias = c_folded_;
    const float* packed = packed_.data();
    if (!prepacked_) {
      const float* bias = nullptr;
      size_t bias_stride = 0;
      if (c && beta_ != 0.0f && cm == 1) {
        bias = c->data<float>();
        bias_stride = cn == 1 ? 0 : 1;
        c_in_bias = true;
      }
      pack(b.data<float>(), bias, bias_stride, scratch, pool, k, n);
      packed = scratch;
    }
    CAddCtx cctx{c ? c->data<float>() : nullptr, cm, cn, beta_};
    F32GemmPostOp post;
    if (c && !c_in_bias && beta_ != 0.0f) {
      post.fn = &add_beta_c;
      post.ctx = &cctx;
    }
    f32_gemm(cfg_, m, n, k, a_rows, k, packed, out, n, act_, pool, &post);
    return Status::ok();
  }

  size_t owned_bytes() const override { return packed_.size() * sizeof(float); }
  bool copied_constant_input(int i) const override { return prepacked_ && i == 1; }

 private:
  void pack(const float* b, const float* bias, size_t bias_stride, float* dst, ThreadPool* pool, int64_t k = -1,
            int64_t n = -1) const {
    if (k < 0) { k = k_; n = n_; }
    // B is K x N (row stride N) or, transposed, N x K (row stride K).
    const size_t ks = trans_b_ ? 1 : static_cast<size_t>(n), ns = trans_b_ ? static_cast<size_t>(k) : 1;
    f32_gemm_pack_b(static_cast<size_t>(k), static_cast<size_t>(n), cfg_.nr, b, ks, ns, alpha_, bias, bias_stride,
                    beta_, dst, pool);
  }

  float alpha_, beta_;
  bool trans_a_, trans_b_;
  Activation act_;
  const F32GemmConfig& cfg_;
  bool prepacked_ = false;
  bool c_folded_ = false;
  int64_t k_ = 0, n_ = 0;
  std::vector<float> packed_;
};

Result<std::unique_ptr<Kernel>> create_gemm(const KernelInit& init) {
  const Attributes& at = init.attrs();
  for (const char* name : {"alpha", "beta"}) EI_RETURN_IF_ERROR(init.error(at.check_type(name, AttrType::kFloat)));
  for (const char* name : {"transA", "transB", "broadcast"})
    EI_RETURN_IF_ERROR(init.error(at.check_type(name, AttrType::kInt)));
  // "broadcast" (opset 6) only enabled what opset 7 made the rule; accepted and ignored.
  const int64_t ta = at.get_int("transA", 0), tb = at.get_int("transB", 0);
  if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
    return init.error(invalid_model("transA/transB must be 0 or 1"));
  if (init.num_inputs() < 2 || !init.has_input(0) || !init.has_input(1))
    return init.error(invalid_model("Gemm needs inputs A and B"));
  if (init.opset < 11 && !init.has_input(2)) return init.error(invalid_model("Gemm before opset 11 requires input C"));
  auto act = Activation::from_attrs(at);
  if (!act.is_ok()) return init.error(act.status());
  auto k = std::make_unique<GemmKernel>(at.get_float("alpha", 1.0f), at.get_float("beta", 1.0f), ta != 0, tb != 0,
                                        *act);
  if (const Tensor* b = init.constant_input(1)) {
    const Tensor* c = init.constant_input(2);
    // Fold C only when it's known now; a C that arrives at run time is added per tile.
    EI_RETURN_IF_ERROR(init.error(k->prepack(*b, c)));
  }
  return std::unique_ptr<Kernel>(std::move(k));
}

}  // namespace

extern const OpRegistration kOpGemm = {"", "Gemm", &create_gemm};

}  // namespace edgeinfer
