// Integer matrix products and convolutions: MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv
// (default domain) and MatMulIntegerToFloat, DynamicQuantizeMatMul (com.microsoft), on the int8 SIMD
// kernels: q8_gemm (matrix products), q8_conv (convolutions, grouped, any rank) and q8_dwconv
// (depthwise 1-D/2-D). The kernels' output stage requantizes (QLinear*: acc * (a_scale * b_scale[n]
// / y_scale) in float, round half to even, + zero point, saturate, as onnxruntime's CPU provider does),
// stores int32 or scales to float, so results are bit-identical to the scalar reference
// (kernels/quant_reference), which remains the path for per-row quantization of A / Y (QLinearMatMul,
// MatMulInteger) that the kernels' per-column output stage cannot express.
// Constant weights (with their zero points and bias) are packed once at session creation. For
// q8_gemm the activations' zero point is folded into the packed int32 biases; when that zero point (or
// the activations' dtype) is only known at run time the biases are rewritten from kept column sums
// (q8_gemm_set_bias), never the weights. q8_conv subtracts the activations' zero point while packing
// its activation panels, so its packed weights do not depend on it. Non-constant weights are packed
// per run into scratch.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/f32_conv/conv_attrs.h"
#include "kernels/q8_conv/q8_conv.h"
#include "kernels/q8_dwconv/q8_dwconv.h"
#include "kernels/q8_gemm/q8_gemm.h"
#include "ops/matmul_shape.h"
#include "ops/op.h"
#include "ops/quant_common.h"

namespace edgeinfer {
namespace {

// Zero points as int32 arrays with stride 0 (per tensor) or 1 (per row of A / per column of B).
struct Zp {
  std::vector<int32_t> v{0};
  int64_t stride = 0;
};

Result<Zp> read_zp(const Tensor* t, int64_t len, const std::string& name) {
  Zp z;
  if (!t) return z;
  EI_RETURN_IF_ERROR(check_qparam_shape(t->shape(), len, name));
  z.v.clear();
  for (int64_t i = 0; i < t->numel(); ++i) z.v.push_back(element_as_i32(*t, i));
  z.stride = t->numel() == 1 ? 0 : 1;
  return z;
}

Q8Type q8_type(DataType t) { return t == DataType::kUint8 ? Q8Type::kU8 : Q8Type::kS8; }
size_t align64(size_t n) { return (n + 63) / 64 * 64; }
int scratch_slots(int threads, int max_slots) { return threads < 1 ? 1 : threads < max_slots ? threads : max_slots; }

// Scratch handed out front to back in 64-byte aligned pieces.
struct ScratchCursor {
  char* p;
  size_t left;
  void* take(size_t bytes) {
    bytes = align64(bytes);
    if (bytes > left) return nullptr;
    void* r = p;
    p += bytes;
    left -= bytes;
    return r;
  }
};

// An int8 zero point tensor as the kernels read it: its bytes, stride 0 (per tensor) or 1.
const void* zp_bytes(const Tensor* t) { return t ? t->raw() : nullptr; }
size_t zp_stride(const Tensor* t) { return t && t->numel() > 1 ? 1 : 0; }

// True when input i is absent, or a constant of one element (a per-tensor quantization parameter).
bool per_tensor_constant(const KernelInit& init, int i) {
  if (!init.has_input(i)) return true;
  const Tensor* t = init.constant_input(i);
  return t && t->numel() == 1;
}

// B of shape [..., K, N] (or [K]: N = 1) as q8_gemm packed matrices, one per batch item of B's own,
// in the int8 layout of the relaxed-dot kernels (KR = 4) when this engine has them and B - b_zp fits
// int8, else in the int16 layout (KR = 2).
class PackedB {
 public:
  static void dims(const Shape& s, int64_t* k, int64_t* n, int64_t* count) {
    *count = 1;
    if (s.size() == 1) {
      *k = s[0];
      *n = 1;
      return;
    }
    *k = s[s.size() - 2];
    *n = s.back();
    for (size_t i = 0; i + 2 < s.size(); ++i) *count *= s[i];
  }
  // Enough for either layout.
  static size_t bytes(const Shape& s) {
    int64_t k, n, count;
    dims(s, &k, &n, &count);
    return q8_gemm_packed_size(static_cast<size_t>(k), static_cast<size_t>(n), 2) * static_cast<size_t>(count) *
           sizeof(int16_t);
  }
  // Packs for activations (a_type, a_zp); colsum (count x N, may be null) receives the column sums.
  // Returns the layout's kr.
  static size_t pack(const Tensor& b, const Tensor* bzp, Q8Type a_type, int32_t a_zp, int16_t* out, int32_t* colsum,
                     ThreadPool* pool) {
    int64_t k, n, count;
    dims(b.shape(), &k, &n, &count);
    const Q8Type bt = q8_type(b.dtype());
    auto pack_all = [&](size_t kr) {
      const size_t per = q8_gemm_packed_size(static_cast<size_t>(k), static_cast<size_t>(n), kr);
      for (int64_t i = 0; i < count; ++i) {
        const uint8_t* bi = static_cast<const uint8_t*>(b.raw()) + i * k * n;
        if (!q8_gemm_pack_b(kr, static_cast<size_t>(k), static_cast<size_t>(n), bi, bt, static_cast<size_t>(n), 1,
                            zp_bytes(bzp), zp_stride(bzp), nullptr, a_type, a_zp, out + static_cast<size_t>(i) * per,
                            pool))
          return false;
      }
      return true;
    };
    const size_t kr = q8_gemm_relaxed_config() && pack_all(4) ? 4 : 2;
    if (kr == 2) pack_all(2);
    if (colsum)
      for (int64_t i = 0; i < count; ++i)
        q8_gemm_column_sums(static_cast<size_t>(k), static_cast<size_t>(n),
                            static_cast<const uint8_t*>(b.raw()) + i * k * n, bt, static_cast<size_t>(n), 1,
                            zp_bytes(bzp), zp_stride(bzp), colsum + i * n);
    return kr;
  }

  // At creation: B and its zero point (if any) are constants. a_type / a_zp: the best guess of the
  // activations' (the biases are rewritten at run time if they differ).
  void prepack(const Tensor& b, const Tensor* bzp, Q8Type a_type, int32_t a_zp) {
    if (!is_q8(b.dtype()) || b.rank() < 1) return;
    if (bzp && (bzp->dtype() != b.dtype() || bzp->rank() > 1)) return;  // infer() reports it
    int64_t k, n, count;
    dims(b.shape(), &k, &n, &count);
    if (bzp && bzp->numel() != 1 && bzp->numel() != n) return;
    data_.resize(bytes(b.shape()) / sizeof(int16_t));
    colsum_.resize(static_cast<size_t>(count * n));
    kr_ = pack(b, bzp, a_type, a_zp, data_.data(), colsum_.data(), nullptr);
    data_.resize(q8_gemm_packed_size(static_cast<size_t>(k), static_cast<size_t>(n), kr_) * static_cast<size_t>(count));
    data_.shrink_to_fit();
    shape_ = b.shape();
    dtype_ = b.dtype();
    zp_eff_ = q8_gemm_a_zero_point(kr_, a_type, a_zp);
    ready_ = true;
  }
  bool ready() const { return ready_; }
  size_t owned_bytes() const { return data_.size() * sizeof(int16_t) + colsum_.size() * sizeof(int32_t); }

  struct Packed {
    const int16_t* data;
    size_t kr;
  };
  // The packed B for activations (a_type, a_zp), packed into `scratch` (bytes(B) of it) when not prepacked.
  Result<Packed> get(const Tensor& b, const Tensor* bzp, Q8Type a_type, int32_t a_zp, void* scratch,
                     ThreadPool* pool) {
    if (!ready_) {
      if (!scratch) return internal_error("scratch smaller than planned");
      int16_t* out = static_cast<int16_t*>(scratch);
      const size_t kr = pack(b, bzp, a_type, a_zp, out, nullptr, pool);
      return Packed{out, kr};
    }
    if (b.shape() != shape_ || b.dtype() != dtype_) return internal_error("B changed after prepacking");
    const int32_t zp_eff = q8_gemm_a_zero_point(kr_, a_type, a_zp);
    if (zp_eff != zp_eff_) {
      int64_t k, n, count;
      dims(shape_, &k, &n, &count);
      const size_t per = q8_gemm_packed_size(static_cast<size_t>(k), static_cast<size_t>(n), kr_);
      for (int64_t i = 0; i < count; ++i)
        q8_gemm_set_bias(kr_, static_cast<size_t>(k), static_cast<size_t>(n), nullptr, colsum_.data() + i * n, a_type,
                         a_zp, data_.data() + static_cast<size_t>(i) * per);
      zp_eff_ = zp_eff;
    }
    return Packed{data_.data(), kr_};
  }

 private:
  bool ready_ = false;
  Shape shape_;
  DataType dtype_ = DataType::kUndefined;
  std::vector<int16_t> data_;
  std::vector<int32_t> colsum_;
  size_t kr_ = 2;
  int32_t zp_eff_ = 0;  // the activations' zero point the biases are packed for, in the kernels' domain
};

// C = A x B (numpy batches) through q8_gemm; packed: PackedB's layout for B's batch items.
void q8_matmul(const MatMulShape& s, const void* a, Q8Type a_type, const PackedB::Packed& packed, void* c,
               const Q8GemmOutput& out, ThreadPool* pool) {
  const Q8GemmConfig& cfg = q8_gemm_config_for_kr(packed.kr);
  if (!s.b_batched && s.a_batch == s.batch) {
    // A holds every batch item one after another: one GEMM over all their rows.
    q8_gemm(cfg, s.batch_count * s.m, s.n, s.k, a, a_type, s.k, packed.data, c, s.n, out, pool);
    return;
  }
  const size_t per = q8_gemm_packed_size(static_cast<size_t>(s.k), static_cast<size_t>(s.n), packed.kr);
  const size_t es = q8_type_size(out.type);
  for (int64_t ob = 0; ob < s.batch_count; ++ob)
    q8_gemm(cfg, s.m, s.n, s.k, static_cast<const uint8_t*>(a) + operand_batch(s.batch, s.a_batch, ob) * s.m * s.k,
            a_type, s.k, packed.data + static_cast<size_t>(operand_batch(s.batch, s.b_batch, ob)) * per,
            static_cast<uint8_t*>(c) + static_cast<size_t>(ob * s.m * s.n) * es, s.n, out, pool);
}

// acc[batch, m, n] = (A - a_zp) x (B - b_zp) with numpy batch broadcasting.
Status int_matmul(const MatMulShape& s, const Tensor& a, const Zp& az, const Tensor& b, const Zp& bz, int32_t* acc) {
  return dispatch_q8(a.dtype(), [&](auto ta) {
    using TA = decltype(ta);
    return dispatch_q8(b.dtype(), [&](auto tb) {
      using TB = decltype(tb);
      for (int64_t ob = 0; ob < s.batch_count; ++ob)
        qgemm_reference<TA, TB>(s.m, s.n, s.k, a.data<TA>() + operand_batch(s.batch, s.a_batch, ob) * s.m * s.k,
                                az.v.data(), az.stride,
                                b.data<TB>() + operand_batch(s.batch, s.b_batch, ob) * s.k * s.n, bz.v.data(),
                                bz.stride, acc + ob * s.m * s.n);
      return Status::ok();
    });
  });
}

Status need_inputs(const InferContext& ctx, std::initializer_list<int> idx, const char* op) {
  for (int i : idx)
    if (!ctx.has_input(i)) return invalid_model(std::string(op) + " is missing required input " + std::to_string(i));
  return Status::ok();
}

Status check_float(const InferContext& ctx, int i, const std::string& name) {
  if (ctx.has_input(i) && ctx.input_dtype(i) != DataType::kFloat32)
    return unsupported(name + " of dtype " + dtype_name(ctx.input_dtype(i)) + " (float32 only)");
  return Status::ok();
}

Status check_zp_dtype(const InferContext& ctx, int zp, int data, const std::string& name) {
  if (ctx.has_input(zp) && ctx.input_dtype(zp) != ctx.input_dtype(data))
    return invalid_model(name + " dtype " + dtype_name(ctx.input_dtype(zp)) + " differs from its input's " +
                         dtype_name(ctx.input_dtype(data)));
  return Status::ok();
}

size_t acc_bytes(const Shape& out) { return static_cast<size_t>(numel(out)) * sizeof(int32_t); }

// ---- MatMulInteger(A, B, a_zero_point?, b_zero_point?) -> int32
class MatMulIntegerKernel final : public Kernel {
 public:
  explicit MatMulIntegerKernel(const KernelInit& init) {
    const Tensor* b = init.constant_input(1);
    if (!b || (init.has_input(3) && !init.constant_input(3))) return;
    const Tensor* az = init.constant_input(2);
    const bool az_scalar = az && az->numel() == 1 && is_q8(az->dtype());
    pb_.prepack(*b, init.constant_input(3), az ? q8_type(az->dtype()) : Q8Type::kU8,
                az_scalar ? element_as_i32(*az, 0) : 0);
    // A per-row a_zero_point takes the reference path, which reads B.
    copied_ = pb_.ready() && per_tensor_constant(init, 2);
  }
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(need_inputs(ctx, {0, 1}, "MatMulInteger"));
    EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(0), "A"));
    EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(1), "B"));
    EI_RETURN_IF_ERROR(check_zp_dtype(ctx, 2, 0, "a_zero_point"));
    EI_RETURN_IF_ERROR(check_zp_dtype(ctx, 3, 1, "b_zero_point"));
    EI_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(ctx.input_shape(0), ctx.input_shape(1)));
    if (ctx.has_input(2)) EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(2), s.m, "a_zero_point"));
    if (ctx.has_input(3)) EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(3), s.n, "b_zero_point"));
    if (!pb_.ready()) ctx.request_scratch(align64(PackedB::bytes(ctx.input_shape(1))));
    ctx.set_output(0, DataType::kInt32, s.out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    EI_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(ctx.input(0).shape(), ctx.input(1).shape()));
    const Tensor* bzt = ctx.has_input(3) ? &ctx.input(3) : nullptr;
    EI_ASSIGN_OR_RETURN(Zp az, read_zp(ctx.has_input(2) ? &ctx.input(2) : nullptr, s.m, "a_zero_point"));
    EI_ASSIGN_OR_RETURN(Zp bz, read_zp(bzt, s.n, "b_zero_point"));
    const Tensor& a = ctx.input(0);
    if (az.stride == 0) {
      ScratchCursor sc{static_cast<char*>(ctx.scratch()), ctx.scratch_bytes()};
      void* pk = pb_.ready() ? nullptr : sc.take(PackedB::bytes(ctx.input(1).shape()));
      const Q8Type at = q8_type(a.dtype());
      EI_ASSIGN_OR_RETURN(const PackedB::Packed packed, pb_.get(ctx.input(1), bzt, at, az.v[0], pk, &ctx.pool()));
      q8_matmul(s, a.raw(), at, packed, ctx.output(0).raw(), Q8GemmOutput::int32(), &ctx.pool());
      return Status::ok();
    }
    return int_matmul(s, a, az, ctx.input(1), bz, ctx.output(0).data<int32_t>());
  }
  size_t owned_bytes() const override { return pb_.owned_bytes(); }
  bool copied_constant_input(int i) const override { return copied_ && i == 1; }

 private:
  PackedB pb_;
  bool copied_ = false;
};

// ---- QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp)
class QLinearMatMulKernel final : public Kernel {
 public:
  explicit QLinearMatMulKernel(const KernelInit& init) {
    const Tensor* b = init.constant_input(3);
    if (!b || (init.has_input(5) && !init.constant_input(5))) return;
    const Tensor* az = init.constant_input(2);
    const bool az_scalar = az && az->numel() == 1 && is_q8(az->dtype());
    pb_.prepack(*b, init.constant_input(5), az ? q8_type(az->dtype()) : Q8Type::kU8,
                az_scalar ? element_as_i32(*az, 0) : 0);
    // Per-row a / y parameters take the reference path, which reads B.
    copied_ = pb_.ready() && per_tensor_constant(init, 1) && per_tensor_constant(init, 2) &&
              per_tensor_constant(init, 6) && per_tensor_constant(init, 7);
  }
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(need_inputs(ctx, {0, 1, 3, 4, 6}, "QLinearMatMul"));
    EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(0), "a"));
    EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(3), "b"));
    for (int i : {1, 4, 6}) EI_RETURN_IF_ERROR(check_float(ctx, i, "scale input " + std::to_string(i)));
    EI_RETURN_IF_ERROR(check_zp_dtype(ctx, 2, 0, "a_zero_point"));
    EI_RETURN_IF_ERROR(check_zp_dtype(ctx, 5, 3, "b_zero_point"));
    const DataType out = ctx.has_input(7) ? ctx.input_dtype(7) : DataType::kUint8;
    EI_RETURN_IF_ERROR(check_q8(out, "y_zero_point"));
    EI_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(ctx.input_shape(0), ctx.input_shape(3)));
    EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(1), s.m, "a_scale"));
    EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(4), s.n, "b_scale"));
    EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(6), s.m, "y_scale"));
    const size_t fast = align64(static_cast<size_t>(s.n) * sizeof(float)) +
                        (pb_.ready() ? 0 : align64(PackedB::bytes(ctx.input_shape(3))));
    ctx.request_scratch(std::max(acc_bytes(s.out), fast));
    ctx.set_output(0, out, s.out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(3);
    EI_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(a.shape(), b.shape()));
    auto opt = [&](int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; };
    EI_ASSIGN_OR_RETURN(QParams qa, read_qparams(ctx.input(1), opt(2), s.m, "a"));
    EI_ASSIGN_OR_RETURN(QParams qb, read_qparams(ctx.input(4), opt(5), s.n, "b"));
    EI_ASSIGN_OR_RETURN(QParams qy, read_qparams(ctx.input(6), opt(7), s.m, "y"));
    Tensor& y = ctx.output(0);
    if (qa.per_tensor() && qy.per_tensor()) {
      ScratchCursor sc{static_cast<char*>(ctx.scratch()), ctx.scratch_bytes()};
      float* scales = static_cast<float*>(sc.take(static_cast<size_t>(s.n) * sizeof(float)));
      void* pk = pb_.ready() ? nullptr : sc.take(PackedB::bytes(b.shape()));
      if (!scales) return internal_error("QLinearMatMul: scratch smaller than planned");
      for (int64_t j = 0; j < s.n; ++j) scales[j] = qa.s(0) * qb.s(j) / qy.s(0);
      const Q8Type at = q8_type(a.dtype());
      EI_ASSIGN_OR_RETURN(const PackedB::Packed packed, pb_.get(b, opt(5), at, qa.z(0), pk, &ctx.pool()));
      q8_matmul(s, a.raw(), at, packed, y.raw(), Q8GemmOutput::quantized(q8_type(y.dtype()), scales, true, qy.z(0)),
                &ctx.pool());
      return Status::ok();
    }
    if (ctx.scratch_bytes() < acc_bytes(s.out)) return internal_error("QLinearMatMul: scratch smaller than planned");
    int32_t* acc = static_cast<int32_t*>(ctx.scratch());
    Zp az{qa.zp, qa.zp.size() == 1 ? 0 : 1}, bz{qb.zp, qb.zp.size() == 1 ? 0 : 1};
    EI_RETURN_IF_ERROR(int_matmul(s, a, az, b, bz, acc));
    dispatch_q8(y.dtype(), [&](auto t) {
      using T = decltype(t);
      T* yd = y.data<T>();
      for (int64_t ob = 0; ob < s.batch_count; ++ob)
        for (int64_t i = 0; i < s.m; ++i)
          for (int64_t j = 0; j < s.n; ++j) {
            const int64_t o = (ob * s.m + i) * s.n + j;
            yd[o] = requantize_value<T>(acc[o], qa.s(i) * qb.s(j) / qy.s(i), qy.z(i));
          }
      return 0;
    });
    return Status::ok();
  }
  size_t owned_bytes() const override { return pb_.owned_bytes(); }
  bool copied_constant_input(int i) const override { return copied_ && i == 3; }

 private:
  PackedB pb_;
  bool copied_ = false;
};

// ---- MatMulIntegerToFloat(A, B, a_scale, b_scale, a_zp?, b_zp?, bias?) -> float (com.microsoft)
// and DynamicQuantizeMatMul(A float, B, b_scale, b_zp?, bias?) -> float (com.microsoft).
class MatMulToFloatKernel final : public Kernel {
 public:
  MatMulToFloatKernel(const KernelInit& init, bool dynamic) : dynamic_(dynamic) {
    const Tensor* b = init.constant_input(1);
    if (!b || (init.has_input(b_zp()) && !init.constant_input(b_zp()))) return;
    const Tensor* az = dynamic_ ? nullptr : init.constant_input(4);
    const bool az_scalar = az && az->numel() == 1 && is_q8(az->dtype());
    pb_.prepack(*b, init.constant_input(b_zp()), az ? q8_type(az->dtype()) : Q8Type::kU8,
                az_scalar ? element_as_i32(*az, 0) : 0);
  }
  int b_scale() const { return dynamic_ ? 2 : 3; }
  int b_zp() const { return dynamic_ ? 3 : 5; }
  int bias() const { return dynamic_ ? 4 : 6; }

  Status infer(InferContext& ctx) override {
    const char* op = dynamic_ ? "DynamicQuantizeMatMul" : "MatMulIntegerToFloat";
    if (dynamic_) {
      EI_RETURN_IF_ERROR(need_inputs(ctx, {0, 1, 2}, op));
      EI_RETURN_IF_ERROR(check_float(ctx, 0, "A"));
    } else {
      EI_RETURN_IF_ERROR(need_inputs(ctx, {0, 1, 2, 3}, op));
      EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(0), "A"));
      EI_RETURN_IF_ERROR(check_float(ctx, 2, "a_scale"));
      EI_RETURN_IF_ERROR(check_zp_dtype(ctx, 4, 0, "a_zero_point"));
    }
    EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(1), "B"));
    EI_RETURN_IF_ERROR(check_float(ctx, b_scale(), "b_scale"));
    EI_RETURN_IF_ERROR(check_float(ctx, bias(), "bias"));
    EI_RETURN_IF_ERROR(check_zp_dtype(ctx, b_zp(), 1, "b_zero_point"));
    EI_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(ctx.input_shape(0), ctx.input_shape(1)));
    if (!dynamic_) EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(2), -1, "a_scale"));
    EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(b_scale()), s.n, "b_scale"));
    if (ctx.has_input(bias()) && ctx.input_shape(bias()) != Shape{s.n})
      return invalid_model("bias has shape " + shape_to_string(ctx.input_shape(bias())) + ", expected [" +
                           std::to_string(s.n) + "]");
    size_t scratch = align64(static_cast<size_t>(s.n) * sizeof(float));
    if (!pb_.ready()) scratch += align64(PackedB::bytes(ctx.input_shape(1)));
    if (dynamic_) scratch += align64(static_cast<size_t>(numel(ctx.input_shape(0))));
    ctx.request_scratch(scratch);
    ctx.set_output(0, DataType::kFloat32, s.out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& b = ctx.input(1);
    EI_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(ctx.input(0).shape(), b.shape()));
    auto opt = [&](int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; };
    EI_ASSIGN_OR_RETURN(QParams qb, read_qparams(ctx.input(b_scale()), opt(b_zp()), s.n, "b"));
    ScratchCursor sc{static_cast<char*>(ctx.scratch()), ctx.scratch_bytes()};
    float* scales = static_cast<float*>(sc.take(static_cast<size_t>(s.n) * sizeof(float)));
    void* pk = pb_.ready() ? nullptr : sc.take(PackedB::bytes(b.shape()));
    float a_scale;
    int32_t a_zp;
    Q8Type at;
    const void* a;
    if (dynamic_) {
      const Tensor& af = ctx.input(0);
      uint8_t zp;
      dynamic_quantize_params(af.data<float>(), af.numel(), &a_scale, &zp);
      uint8_t* q = static_cast<uint8_t*>(sc.take(static_cast<size_t>(af.numel())));
      if (!q) return internal_error("DynamicQuantizeMatMul: scratch smaller than planned");
      for (int64_t i = 0; i < af.numel(); ++i) q[i] = quantize_value<uint8_t>(af.data<float>()[i], a_scale, zp);
      a = q;
      at = Q8Type::kU8;
      a_zp = zp;
    } else {
      EI_ASSIGN_OR_RETURN(QParams qa, read_qparams(ctx.input(2), opt(4), -1, "a"));
      a_scale = qa.s(0);
      a_zp = qa.z(0);
      at = q8_type(ctx.input(0).dtype());
      a = ctx.input(0).raw();
    }
    if (!scales) return internal_error("MatMulIntegerToFloat: scratch smaller than planned");
    for (int64_t j = 0; j < s.n; ++j) scales[j] = a_scale * qb.s(j);
    EI_ASSIGN_OR_RETURN(const PackedB::Packed packed, pb_.get(b, opt(b_zp()), at, a_zp, pk, &ctx.pool()));
    const float* bias_d = ctx.has_input(bias()) ? ctx.input(bias()).data<float>() : nullptr;
    q8_matmul(s, a, at, packed, ctx.output(0).raw(), Q8GemmOutput::dequantized(scales, true, bias_d), &ctx.pool());
    return Status::ok();
  }
  size_t owned_bytes() const override { return pb_.owned_bytes(); }
  bool copied_constant_input(int i) const override { return pb_.ready() && i == 1; }

 private:
  bool dynamic_;
  PackedB pb_;
};

// ---- ConvInteger(x, w, x_zp?, w_zp?) -> int32 and QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp,
// y_scale, y_zp, B?) -> int8/uint8.
bool is_depthwise(const ConvGeometry& g) {
  return g.group > 1 && g.group == g.c_in && g.c_out == g.c_in && g.nd <= 2;
}

DwConv2dParams dw_params(const ConvGeometry& g) {
  DwConv2dParams p;
  p.batch = g.batch;
  p.channels = g.c_in;
  const bool one_d = g.nd == 1;  // 1-D runs as a 1 x W plane
  p.ih = one_d ? 1 : g.in[0];
  p.iw = g.in[g.nd - 1];
  p.oh = one_d ? 1 : g.out[0];
  p.ow = g.out[g.nd - 1];
  p.kh = one_d ? 1 : g.kernel[0];
  p.kw = g.kernel[g.nd - 1];
  p.sh = one_d ? 1 : g.stride[0];
  p.sw = g.stride[g.nd - 1];
  p.dh = one_d ? 1 : g.dilation[0];
  p.dw = g.dilation[g.nd - 1];
  p.pad_top = one_d ? 0 : g.pad_begin[0];
  p.pad_left = g.pad_begin[g.nd - 1];
  return p;
}

class QConvKernel final : public Kernel {
 public:
  QConvKernel(ConvAttrs attrs, bool qlinear) : attrs_(std::move(attrs)), qlinear_(qlinear) {}
  int w_in() const { return qlinear_ ? 3 : 1; }
  int x_zp_in() const { return 2; }
  int w_zp_in() const { return qlinear_ ? 5 : 3; }
  int bias_in() const { return qlinear_ ? 8 : -1; }

  // W (with its zero point and B, when present) constant: pack now.
  void prepack(const KernelInit& init) {
    const Tensor* w = init.constant_input(w_in());
    if (!w || !is_q8(w->dtype()) || w->rank() < 3) return;
    const Tensor* wz = init.constant_input(w_zp_in());
    const Tensor* b = init.constant_input(bias_in());
    if ((init.has_input(w_zp_in()) && !wz) || (init.has_input(bias_in()) && !b)) return;
    const ConvGeometry g = conv_weight_geometry(attrs_, w->shape());
    if (g.group < 1 || g.c_out % g.group != 0) return;  // infer() reports it
    if (wz && (wz->dtype() != w->dtype() || wz->rank() > 1 || (wz->numel() != 1 && wz->numel() != g.c_out))) return;
    if (b && (b->dtype() != DataType::kInt32 || b->rank() != 1 || b->dim(0) != g.c_out)) return;
    w_shape_ = w->shape();
    w_dtype_ = w->dtype();
    bias_.assign(static_cast<size_t>(g.c_out), 0);
    if (b) std::memcpy(bias_.data(), b->raw(), bias_.size() * sizeof(int32_t));
    wz_.assign(1, 0);
    if (wz) wz_.assign(static_cast<const uint8_t*>(wz->raw()), static_cast<const uint8_t*>(wz->raw()) + wz->numel());
    const Q8Type wt = q8_type(w->dtype());
    if (is_depthwise(g)) {
      dw_w_.assign(static_cast<const uint8_t*>(w->raw()), static_cast<const uint8_t*>(w->raw()) + w->numel());
    } else {
      packed_.resize(q8_conv_packed_size(g));
      q8_conv_pack_weights(g, w->raw(), wt, wz_.data(), wz_.size() > 1 ? 1 : 0, bias_.data(), packed_.data());
    }
    prepacked_ = true;
  }

  Status infer(InferContext& ctx) override {
    const char* op = qlinear_ ? "QLinearConv" : "ConvInteger";
    if (qlinear_) {
      EI_RETURN_IF_ERROR(need_inputs(ctx, {0, 1, 2, 3, 4, 5, 6, 7}, op));
      for (int i : {1, 4, 6}) EI_RETURN_IF_ERROR(check_float(ctx, i, "scale input " + std::to_string(i)));
      EI_RETURN_IF_ERROR(check_zp_dtype(ctx, 2, 0, "x_zero_point"));
      EI_RETURN_IF_ERROR(check_zp_dtype(ctx, 5, 3, "w_zero_point"));
      EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(7), "y_zero_point"));
      if (ctx.has_input(8) && ctx.input_dtype(8) != DataType::kInt32)
        return invalid_model(std::string("B of dtype ") + dtype_name(ctx.input_dtype(8)) + " (must be int32)");
    } else {
      EI_RETURN_IF_ERROR(need_inputs(ctx, {0, 1}, op));
      EI_RETURN_IF_ERROR(check_zp_dtype(ctx, 2, 0, "x_zero_point"));
      EI_RETURN_IF_ERROR(check_zp_dtype(ctx, 3, 1, "w_zero_point"));
    }
    EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(0), "x"));
    EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(w_in()), "w"));
    if (ctx.input_rank(0) < 3) return invalid_model("x must have rank >= 3, got " + shape_to_string(ctx.input_shape(0)));
    EI_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(attrs_, ctx.input_shape(0), ctx.input_shape(w_in())));
    Shape out{g.batch, g.c_out};
    out.insert(out.end(), g.out.begin(), g.out.end());
    if (qlinear_) {
      EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(1), -1, "x_scale"));
      EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(4), g.c_out, "w_scale"));
      EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(6), -1, "y_scale"));
      if (ctx.has_input(8) && ctx.input_shape(8) != Shape{g.c_out})
        return invalid_model("B has shape " + shape_to_string(ctx.input_shape(8)) + ", expected [" +
                             std::to_string(g.c_out) + "]");
      ctx.set_output(0, ctx.input_dtype(7), out);
    } else {
      if (ctx.has_input(2)) EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(2), -1, "x_zero_point"));
      if (ctx.has_input(3)) EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(3), g.c_out, "w_zero_point"));
      ctx.set_output(0, DataType::kInt32, out);
    }
    size_t scratch = align64(static_cast<size_t>(g.c_out) * sizeof(float));
    if (is_depthwise(g)) {
      scratch += q8_dwconv2d_scratch_bytes(dw_params(g), scratch_slots(ctx.num_threads(), kDwConvMaxSlots));
    } else {
      if (!prepacked_) scratch += align64(q8_conv_packed_size(g) * sizeof(int16_t));
      scratch += q8_conv_scratch_bytes(g, scratch_slots(ctx.num_threads(), kConvMaxSlots));
    }
    ctx.request_scratch(scratch);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(w_in());
    EI_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(attrs_, x.shape(), w.shape()));
    if (prepacked_ && (w.shape() != w_shape_ || w.dtype() != w_dtype_))
      return internal_error("W changed after prepacking");
    auto opt = [&](int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; };
    ScratchCursor sc{static_cast<char*>(ctx.scratch()), ctx.scratch_bytes()};
    float* scales = static_cast<float*>(sc.take(static_cast<size_t>(g.c_out) * sizeof(float)));
    if (!scales) return internal_error("scratch smaller than planned");
    int32_t x_zp;
    Q8GemmOutput out = Q8GemmOutput::int32();
    const int32_t* bias = nullptr;
    if (qlinear_) {
      EI_ASSIGN_OR_RETURN(QParams qx, read_qparams(ctx.input(1), opt(2), -1, "x"));
      EI_ASSIGN_OR_RETURN(QParams qw, read_qparams(ctx.input(4), opt(5), g.c_out, "w"));
      EI_ASSIGN_OR_RETURN(QParams qy, read_qparams(ctx.input(6), opt(7), -1, "y"));
      for (int64_t c = 0; c < g.c_out; ++c) scales[c] = qx.s(0) * qw.s(c) / qy.s(0);
      out = Q8GemmOutput::quantized(q8_type(ctx.output(0).dtype()), scales, true, qy.z(0));
      x_zp = qx.z(0);
      if (ctx.has_input(8)) bias = ctx.input(8).data<int32_t>();
    } else {
      EI_ASSIGN_OR_RETURN(Zp xz, read_zp(opt(2), -1, "x_zero_point"));
      EI_RETURN_IF_ERROR(read_zp(opt(3), g.c_out, "w_zero_point").status());
      x_zp = xz.v[0];
    }
    const Tensor* wzt = opt(w_zp_in());
    const void* wz = prepacked_ ? static_cast<const void*>(wz_.data()) : zp_bytes(wzt);
    const size_t wzs = prepacked_ ? (wz_.size() > 1 ? 1 : 0) : zp_stride(wzt);
    if (prepacked_) bias = bias_.data();
    const Q8Type xt = q8_type(x.dtype()), wt = q8_type(w.dtype());
    ThreadPool* pool = &ctx.pool();
    void* y = ctx.output(0).raw();
    if (is_depthwise(g)) {
      const DwConv2dParams p = dw_params(g);
      if (sc.left < q8_dwconv2d_scratch_bytes(p, 1)) return internal_error("scratch smaller than planned");
      q8_dwconv2d(p, x.raw(), xt, x_zp, prepacked_ ? dw_w_.data() : w.raw(), wt, wz, wzs, bias, y, out, pool, sc.p,
                  sc.left);
      return Status::ok();
    }
    const int16_t* packed = packed_.data();
    if (!prepacked_) {
      int16_t* dst = static_cast<int16_t*>(sc.take(q8_conv_packed_size(g) * sizeof(int16_t)));
      if (!dst) return internal_error("scratch smaller than planned");
      q8_conv_pack_weights(g, w.raw(), wt, wz, wzs, bias, dst);
      packed = dst;
    }
    if (sc.left < q8_conv_scratch_bytes(g, 1)) return internal_error("scratch smaller than planned");
    q8_conv(g, x.raw(), xt, x_zp, packed, y, out, pool, sc.p, sc.left);
    return Status::ok();
  }

  size_t owned_bytes() const override {
    return packed_.size() * sizeof(int16_t) + bias_.size() * sizeof(int32_t) + dw_w_.size() +
           wz_.size();
  }
  bool copied_constant_input(int i) const override {
    return prepacked_ && (i == w_in() || i == bias_in());
  }

 private:
  ConvAttrs attrs_;
  bool qlinear_;
  bool prepacked_ = false;
  Shape w_shape_;
  DataType w_dtype_ = DataType::kUndefined;
  std::vector<int16_t> packed_;
  std::vector<int32_t> bias_;
  std::vector<uint8_t> dw_w_, wz_;  // depthwise: W as is; W's zero points (1 or c_out bytes)
};

template <bool kQLinear>
Result<std::unique_ptr<Kernel>> create_qconv(const KernelInit& init) {
  auto attrs = parse_conv_attrs(init.attrs(), false);
  if (!attrs.is_ok()) return init.error(attrs.status());
  auto k = std::make_unique<QConvKernel>(std::move(attrs).value(), kQLinear);
  k->prepack(init);
  return std::unique_ptr<Kernel>(std::move(k));
}

template <bool kDynamic>
Result<std::unique_ptr<Kernel>> create_mm_to_float(const KernelInit& init) {
  return std::unique_ptr<Kernel>(new MatMulToFloatKernel(init, kDynamic));
}

template <typename K>
Result<std::unique_ptr<Kernel>> create_with_init(const KernelInit& init) {
  return std::unique_ptr<Kernel>(new K(init));
}

}  // namespace

extern const OpRegistration kOpMatMulInteger = {"", "MatMulInteger", &create_with_init<MatMulIntegerKernel>};
extern const OpRegistration kOpQLinearMatMul = {"", "QLinearMatMul", &create_with_init<QLinearMatMulKernel>};
extern const OpRegistration kOpConvInteger = {"", "ConvInteger", &create_qconv<false>};
extern const OpRegistration kOpQLinearConv = {"", "QLinearConv", &create_qconv<true>};
extern const OpRegistration kOpMatMulIntegerToFloat = {"com.microsoft", "MatMulIntegerToFloat",
                                                       &create_mm_to_float<false>};
extern const OpRegistration kOpDynamicQuantizeMatMul = {"com.microsoft", "DynamicQuantizeMatMul",
                                                        &create_mm_to_float<true>};

}  // namespace edgeinfer
