// Integer matrix products and convolutions: MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv
// (default domain) and MatMulIntegerToFloat, DynamicQuantizeMatMul (com.microsoft). The int32
// accumulators come from the scalar reference (kernels/quant_reference) into scratch, then are
// requantized (QLinear*: acc * (a_scale * b_scale / y_scale) in float, round half to even, + zero
// point, saturate, as onnxruntime's CPU provider does) or scaled to float.
#include <memory>
#include <string>
#include <vector>

#include "kernels/f32_conv/conv_attrs.h"
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
  Status infer(InferContext& ctx) override {
    EI_RETURN_IF_ERROR(need_inputs(ctx, {0, 1}, "MatMulInteger"));
    EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(0), "A"));
    EI_RETURN_IF_ERROR(check_q8(ctx.input_dtype(1), "B"));
    EI_RETURN_IF_ERROR(check_zp_dtype(ctx, 2, 0, "a_zero_point"));
    EI_RETURN_IF_ERROR(check_zp_dtype(ctx, 3, 1, "b_zero_point"));
    EI_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(ctx.input_shape(0), ctx.input_shape(1)));
    if (ctx.has_input(2)) EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(2), s.m, "a_zero_point"));
    if (ctx.has_input(3)) EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(3), s.n, "b_zero_point"));
    ctx.set_output(0, DataType::kInt32, s.out);
    return Status::ok();
  }
  Status run(RunContext& ctx) override {
    EI_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(ctx.input(0).shape(), ctx.input(1).shape()));
    EI_ASSIGN_OR_RETURN(Zp az, read_zp(ctx.has_input(2) ? &ctx.input(2) : nullptr, s.m, "a_zero_point"));
    EI_ASSIGN_OR_RETURN(Zp bz, read_zp(ctx.has_input(3) ? &ctx.input(3) : nullptr, s.n, "b_zero_point"));
    return int_matmul(s, ctx.input(0), az, ctx.input(1), bz, ctx.output(0).data<int32_t>());
  }
};

// ---- QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp)
class QLinearMatMulKernel final : public Kernel {
 public:
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
    ctx.request_scratch(acc_bytes(s.out));
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
    if (ctx.scratch_bytes() < acc_bytes(s.out)) return internal_error("QLinearMatMul: scratch smaller than planned");
    int32_t* acc = static_cast<int32_t*>(ctx.scratch());
    Zp az{qa.zp, qa.zp.size() == 1 ? 0 : 1}, bz{qb.zp, qb.zp.size() == 1 ? 0 : 1};
    EI_RETURN_IF_ERROR(int_matmul(s, a, az, b, bz, acc));
    Tensor& y = ctx.output(0);
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
};

// ---- MatMulIntegerToFloat(A, B, a_scale, b_scale, a_zp?, b_zp?, bias?) -> float (com.microsoft)
// and DynamicQuantizeMatMul(A float, B, b_scale, b_zp?, bias?) -> float (com.microsoft).
class MatMulToFloatKernel final : public Kernel {
 public:
  explicit MatMulToFloatKernel(bool dynamic) : dynamic_(dynamic) {}
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
    size_t scratch = acc_bytes(s.out);
    if (dynamic_) scratch += static_cast<size_t>(numel(ctx.input_shape(0))) + 16;
    ctx.request_scratch(scratch);
    ctx.set_output(0, DataType::kFloat32, s.out);
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& b = ctx.input(1);
    EI_ASSIGN_OR_RETURN(MatMulShape s, matmul_shape(ctx.input(0).shape(), b.shape()));
    auto opt = [&](int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; };
    EI_ASSIGN_OR_RETURN(QParams qb, read_qparams(ctx.input(b_scale()), opt(b_zp()), s.n, "b"));
    int32_t* acc = static_cast<int32_t*>(ctx.scratch());
    Zp bz{qb.zp, qb.zp.size() == 1 ? 0 : 1};
    float a_scale;
    if (dynamic_) {
      const Tensor& af = ctx.input(0);
      uint8_t zp;
      dynamic_quantize_params(af.data<float>(), af.numel(), &a_scale, &zp);
      uint8_t* q = reinterpret_cast<uint8_t*>(acc + numel(s.out));
      for (int64_t i = 0; i < af.numel(); ++i) q[i] = quantize_value<uint8_t>(af.data<float>()[i], a_scale, zp);
      Tensor aq = Tensor::view(DataType::kUint8, af.shape(), q);
      EI_RETURN_IF_ERROR(int_matmul(s, aq, Zp{{zp}, 0}, b, bz, acc));
    } else {
      EI_ASSIGN_OR_RETURN(QParams qa, read_qparams(ctx.input(2), opt(4), -1, "a"));
      a_scale = qa.s(0);
      EI_RETURN_IF_ERROR(int_matmul(s, ctx.input(0), Zp{qa.zp, 0}, b, bz, acc));
    }
    const float* bias_d = ctx.has_input(bias()) ? ctx.input(bias()).data<float>() : nullptr;
    float* y = ctx.output(0).data<float>();
    const int64_t rows = s.batch_count * s.m;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < s.n; ++j) {
        const int64_t o = r * s.n + j;
        y[o] = static_cast<float>(acc[o]) * (a_scale * qb.s(j)) + (bias_d ? bias_d[j] : 0.0f);
      }
    return Status::ok();
  }

 private:
  bool dynamic_;
};

// ---- ConvInteger(x, w, x_zp?, w_zp?) -> int32 and QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp,
// y_scale, y_zp, B?) -> int8/uint8.
class QConvKernel final : public Kernel {
 public:
  QConvKernel(ConvAttrs attrs, bool qlinear) : attrs_(std::move(attrs)), qlinear_(qlinear) {}
  int w_in() const { return qlinear_ ? 3 : 1; }

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
      ctx.request_scratch(acc_bytes(out));
      ctx.set_output(0, ctx.input_dtype(7), out);
    } else {
      if (ctx.has_input(2)) EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(2), -1, "x_zero_point"));
      if (ctx.has_input(3)) EI_RETURN_IF_ERROR(check_qparam_shape(ctx.input_shape(3), g.c_out, "w_zero_point"));
      ctx.set_output(0, DataType::kInt32, out);
    }
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& w = ctx.input(w_in());
    EI_ASSIGN_OR_RETURN(ConvGeometry g, conv_geometry(attrs_, x.shape(), w.shape()));
    auto opt = [&](int i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; };
    QParams qx, qw, qy;
    Zp xz, wz;
    int32_t* acc;
    const int32_t* bias = nullptr;
    if (qlinear_) {
      EI_ASSIGN_OR_RETURN(qx, read_qparams(ctx.input(1), opt(2), -1, "x"));
      EI_ASSIGN_OR_RETURN(qw, read_qparams(ctx.input(4), opt(5), g.c_out, "w"));
      EI_ASSIGN_OR_RETURN(qy, read_qparams(ctx.input(6), opt(7), -1, "y"));
      xz.v = qx.zp;
      wz = Zp{qw.zp, qw.zp.size() == 1 ? 0 : 1};
      acc = static_cast<int32_t*>(ctx.scratch());
      if (ctx.has_input(8)) bias = ctx.input(8).data<int32_t>();
    } else {
      EI_ASSIGN_OR_RETURN(xz, read_zp(opt(2), -1, "x_zero_point"));
      EI_ASSIGN_OR_RETURN(wz, read_zp(opt(3), g.c_out, "w_zero_point"));
      acc = ctx.output(0).data<int32_t>();
    }
    dispatch_q8(x.dtype(), [&](auto tx) {
      using TX = decltype(tx);
      return dispatch_q8(w.dtype(), [&](auto tw) {
        using TW = decltype(tw);
        qconv_reference<TX, TW>(g, x.data<TX>(), xz.v[0], w.data<TW>(), wz.v.data(), wz.stride, bias, acc);
        return 0;
      });
    });
    if (!qlinear_) return Status::ok();
    Tensor& y = ctx.output(0);
    const int64_t plane = g.out_size();
    dispatch_q8(y.dtype(), [&](auto t) {
      using T = decltype(t);
      T* yd = y.data<T>();
      for (int64_t b = 0; b < g.batch; ++b)
        for (int64_t c = 0; c < g.c_out; ++c) {
          const float mult = qx.s(0) * qw.s(c) / qy.s(0);
          const int64_t base = (b * g.c_out + c) * plane;
          for (int64_t p = 0; p < plane; ++p) yd[base + p] = requantize_value<T>(acc[base + p], mult, qy.z(0));
        }
      return 0;
    });
    return Status::ok();
  }

 private:
  ConvAttrs attrs_;
  bool qlinear_;
};

template <bool kQLinear>
Result<std::unique_ptr<Kernel>> create_qconv(const KernelInit& init) {
  auto attrs = parse_conv_attrs(init.attrs(), false);
  if (!attrs.is_ok()) return init.error(attrs.status());
  return std::unique_ptr<Kernel>(new QConvKernel(std::move(attrs).value(), kQLinear));
}

template <bool kDynamic>
Result<std::unique_ptr<Kernel>> create_mm_to_float(const KernelInit&) {
  return std::unique_ptr<Kernel>(new MatMulToFloatKernel(kDynamic));
}

}  // namespace

extern const OpRegistration kOpMatMulInteger = {"", "MatMulInteger", &make_kernel<MatMulIntegerKernel>};
extern const OpRegistration kOpQLinearMatMul = {"", "QLinearMatMul", &make_kernel<QLinearMatMulKernel>};
extern const OpRegistration kOpConvInteger = {"", "ConvInteger", &create_qconv<false>};
extern const OpRegistration kOpQLinearConv = {"", "QLinearConv", &create_qconv<true>};
extern const OpRegistration kOpMatMulIntegerToFloat = {"com.microsoft", "MatMulIntegerToFloat",
                                                       &create_mm_to_float<false>};
extern const OpRegistration kOpDynamicQuantizeMatMul = {"com.microsoft", "DynamicQuantizeMatMul",
                                                        &create_mm_to_float<true>};

}  // namespace edgeinfer
