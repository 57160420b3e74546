// QuantizeLinear, DequantizeLinear (opsets 10, 13 per-axis, 19, 21) and DynamicQuantizeLinear.
// int8/uint8 (and int32 input of DequantizeLinear); float8, int4/uint4, int16 and blocked
// quantization (block_size > 0) are rejected at session creation.
#include <algorithm>
#include <cmath>
#include <memory>

#include "kernels/q8_quantize/q8_quantize.h"
#include "ops/op.h"
#include "ops/quant_common.h"

namespace edgeinfer {
namespace {

// Per-axis layout of a tensor: outer x axis_len x inner.
struct AxisSplit {
  int64_t outer = 1, len = 1, inner = 1;
};
AxisSplit split_at(const Shape& s, int axis) {
  AxisSplit a;
  for (int d = 0; d < axis; ++d) a.outer *= s[static_cast<size_t>(d)];
  a.len = s[static_cast<size_t>(axis)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < s.size(); ++d) a.inner *= s[d];
  return a;
}

// fn(c, begin, end) over every run of elements sharing quantization parameter c (one run per tensor
// per-tensor, outer x len runs per axis); a large per-tensor run is split into chunks over the threads.
template <typename F>
void for_each_run(const AxisSplit& sp, ThreadPool& pool, F&& fn) {
  constexpr int64_t kChunk = int64_t{1} << 16;
  if (sp.outer * sp.len == 1 && sp.inner > kChunk && pool.num_threads() > 1) {
    const int64_t n = sp.inner;
    pool.parallel_for((n + kChunk - 1) / kChunk, 1, [&](int64_t b, int64_t e) {
      fn(int64_t{0}, b * kChunk, std::min(n, e * kChunk));
    });
    return;
  }
  for (int64_t o = 0; o < sp.outer; ++o)
    for (int64_t c = 0; c < sp.len; ++c) {
      const int64_t base = (o * sp.len + c) * sp.inner;
      fn(c, base, base + sp.inner);
    }
}

// Common attribute handling of QuantizeLinear / DequantizeLinear.
struct QdqAttrs {
  int64_t axis = 1;
  int32_t output_dtype = 0;  // QuantizeLinear opset 21; 0 = from the zero point, else uint8
};

Result<QdqAttrs> parse_qdq_attrs(const KernelInit& init, bool quantize) {
  QdqAttrs a;
  const Attributes& at = init.attrs();
  a.axis = at.get_int("axis", 1);
  if (at.has("block_size") && at.get_int("block_size", 0) != 0)
    return unsupported("blocked quantization (block_size " + std::to_string(at.get_int("block_size", 0)) + ")");
  // saturate only applies to float8 outputs, which are not supported; any value is accepted.
  if (quantize && at.has("output_dtype")) {
    const int64_t od = at.get_int("output_dtype", 0);
    if (od != 0 && od != static_cast<int64_t>(DataType::kInt8) && od != static_cast<int64_t>(DataType::kUint8))
      return unsupported("output_dtype " + std::to_string(od) + " (only uint8 (2) and int8 (3) are supported)");
    a.output_dtype = static_cast<int32_t>(od);
  }
  return a;
}

// Validates the scale/zero-point shapes against x; returns the normalized axis (or -1 per tensor).
Result<int> qdq_axis(const InferContext& ctx, int64_t axis, int64_t opset) {
  const Shape& ss = ctx.input_shape(1);
  if (ctx.has_input(2) && ctx.input_shape(2) != ss && !(numel(ss) == 1 && numel(ctx.input_shape(2)) == 1))
    return invalid_model("zero point shape " + shape_to_string(ctx.input_shape(2)) + " differs from scale shape " +
                         shape_to_string(ss));
  if (ss.size() <= 1 && numel(ss) == 1) return -1;  // per tensor
  if (ss.size() != 1)
    return unsupported("scale of shape " + shape_to_string(ss) + " (blocked quantization is not supported)");
  if (opset < 13) return unsupported("per-axis scale before opset 13 (scale shape " + shape_to_string(ss) + ")");
  auto ax = normalize_axis(axis, ctx.input_rank(0));
  if (!ax.is_ok()) return ax.status();
  const int64_t len = ctx.input_shape(0)[static_cast<size_t>(*ax)];
  if (ss[0] != len)
    return invalid_model("scale has " + std::to_string(ss[0]) + " entries but axis " + std::to_string(*ax) +
                         " of x has " + std::to_string(len));
  return *ax;
}

class QuantizeLinearKernel final : public Kernel {
 public:
  QuantizeLinearKernel(QdqAttrs a, int64_t opset) : a_(a), opset_(opset) {}

  Status infer(InferContext& ctx) override {
    if (!ctx.has_input(0) || !ctx.has_input(1)) return invalid_model("QuantizeLinear needs inputs x and y_scale");
    if (ctx.input_dtype(0) != DataType::kFloat32)
      return unsupported(std::string("QuantizeLinear input of dtype ") + dtype_name(ctx.input_dtype(0)) +
                         " (float32 only)");
    if (ctx.input_dtype(1) != DataType::kFloat32)
      return unsupported(std::string("y_scale of dtype ") + dtype_name(ctx.input_dtype(1)) + " (float32 only)");
    DataType out = a_.output_dtype ? static_cast<DataType>(a_.output_dtype) : DataType::kUint8;
    if (ctx.has_input(2)) {
      out = ctx.input_dtype(2);
      EI_RETURN_IF_ERROR(check_q8(out, "y_zero_point (output)"));
      if (a_.output_dtype && static_cast<DataType>(a_.output_dtype) != out)
        return invalid_model("output_dtype differs from the dtype of y_zero_point");
    }
    EI_ASSIGN_OR_RETURN(axis_, qdq_axis(ctx, a_.axis, opset_));
    ctx.set_output(0, out, ctx.input_shape(0));
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    const int64_t len = axis_ < 0 ? -1 : x.dim(axis_);
    EI_ASSIGN_OR_RETURN(QParams q, read_qparams(ctx.input(1), zp, len, "y"));
    const AxisSplit sp = axis_ < 0 ? AxisSplit{1, 1, x.numel()} : split_at(x.shape(), axis_);
    Tensor& y = ctx.output(0);
    const float* xd = x.data<float>();
    uint8_t* yd = static_cast<uint8_t*>(y.raw());
    const bool is_signed = y.dtype() == DataType::kInt8;
    for_each_run(sp, ctx.pool(), [&](int64_t c, int64_t begin, int64_t end) {
      q8_quantize(xd + begin, yd + begin, static_cast<size_t>(end - begin), q.s(c), q.z(c), is_signed);
    });
    return Status::ok();
  }

 private:
  QdqAttrs a_;
  int64_t opset_;
  int axis_ = -1;
};

class DequantizeLinearKernel final : public Kernel {
 public:
  DequantizeLinearKernel(QdqAttrs a, int64_t opset) : a_(a), opset_(opset) {}

  Status infer(InferContext& ctx) override {
    if (!ctx.has_input(0) || !ctx.has_input(1)) return invalid_model("DequantizeLinear needs inputs x and x_scale");
    const DataType xt = ctx.input_dtype(0);
    if (!is_q8(xt) && xt != DataType::kInt32)
      return unsupported(std::string("DequantizeLinear input of dtype ") + dtype_name(xt) +
                         " (int8, uint8 and int32 only)");
    if (ctx.input_dtype(1) != DataType::kFloat32)
      return unsupported(std::string("x_scale of dtype ") + dtype_name(ctx.input_dtype(1)) + " (float32 only)");
    if (ctx.has_input(2) && ctx.input_dtype(2) != xt)
      return invalid_model(std::string("x_zero_point dtype ") + dtype_name(ctx.input_dtype(2)) + " differs from x's " +
                           dtype_name(xt));
    EI_ASSIGN_OR_RETURN(axis_, qdq_axis(ctx, a_.axis, opset_));
    ctx.set_output(0, DataType::kFloat32, ctx.input_shape(0));
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    const int64_t len = axis_ < 0 ? -1 : x.dim(axis_);
    EI_ASSIGN_OR_RETURN(QParams q, read_qparams(ctx.input(1), zp, len, "x"));
    if (x.dtype() == DataType::kInt32)
      for (int32_t z : q.zp)
        if (z != 0) return invalid_argument("x_zero_point must be 0 for int32 input, got " + std::to_string(z));
    const AxisSplit sp = axis_ < 0 ? AxisSplit{1, 1, x.numel()} : split_at(x.shape(), axis_);
    float* yd = ctx.output(0).data<float>();
    const bool q8 = x.dtype() != DataType::kInt32;
    const uint8_t* xb = static_cast<const uint8_t*>(x.raw());
    for_each_run(sp, ctx.pool(), [&](int64_t c, int64_t begin, int64_t end) {
      const float s = q.s(c);
      const int32_t z = q.z(c);
      if (q8) {
        q8_dequantize(xb + begin, yd + begin, static_cast<size_t>(end - begin), s, z, x.dtype() == DataType::kInt8);
        return;
      }
      // int32 (biases): zero point 0, checked above.
      for (int64_t i = begin; i < end; ++i) yd[i] = static_cast<float>(element_as_i32(x, i) - z) * s;
    });
    return Status::ok();
  }

 private:
  QdqAttrs a_;
  int64_t opset_;
  int axis_ = -1;
};

Result<std::unique_ptr<Kernel>> create_quantize_linear(const KernelInit& init) {
  auto a = parse_qdq_attrs(init, true);
  if (!a.is_ok()) return init.error(a.status());
  return std::unique_ptr<Kernel>(new QuantizeLinearKernel(*a, init.opset));
}

Result<std::unique_ptr<Kernel>> create_dequantize_linear(const KernelInit& init) {
  auto a = parse_qdq_attrs(init, false);
  if (!a.is_ok()) return init.error(a.status());
  return std::unique_ptr<Kernel>(new DequantizeLinearKernel(*a, init.opset));
}

class DynamicQuantizeLinearKernel final : public Kernel {
 public:
  Status infer(InferContext& ctx) override {
    if (!ctx.has_input(0)) return invalid_model("DynamicQuantizeLinear needs input x");
    if (ctx.input_dtype(0) != DataType::kFloat32)
      return unsupported(std::string("DynamicQuantizeLinear input of dtype ") + dtype_name(ctx.input_dtype(0)) +
                         " (float32 only)");
    ctx.set_output(0, DataType::kUint8, ctx.input_shape(0));
    if (ctx.num_outputs() > 1) ctx.set_output(1, DataType::kFloat32, {});
    if (ctx.num_outputs() > 2) ctx.set_output(2, DataType::kUint8, {});
    return Status::ok();
  }

  Status run(RunContext& ctx) override {
    const Tensor& x = ctx.input(0);
    float scale;
    uint8_t zp;
    dynamic_quantize_params(x.data<float>(), x.numel(), &scale, &zp);
    uint8_t* y = ctx.output(0).data<uint8_t>();
    q8_quantize(x.data<float>(), y, static_cast<size_t>(x.numel()), scale, zp, false);
    if (ctx.has_output(1)) ctx.output(1).data<float>()[0] = scale;
    if (ctx.has_output(2)) ctx.output(2).data<uint8_t>()[0] = zp;
    return Status::ok();
  }
};

}  // namespace

// The ONNX formula (qmin 0, qmax 255, range extended to include 0); a constant input (range 0)
// gets scale 1 as in onnxruntime rather than dividing by zero.
void dynamic_quantize_params(const float* x, int64_t n, float* scale, uint8_t* zp) {
  float lo = 0.0f, hi = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  *scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
  const float initial_zp = 0.0f - lo / *scale;
  *zp = static_cast<uint8_t>(round_half_even(std::min(std::max(initial_zp, 0.0f), 255.0f)));
}

extern const OpRegistration kOpQuantizeLinear = {"", "QuantizeLinear", &create_quantize_linear};
extern const OpRegistration kOpDequantizeLinear = {"", "DequantizeLinear", &create_dequantize_linear};
extern const OpRegistration kOpDynamicQuantizeLinear = {"", "DynamicQuantizeLinear",
                                                        &make_kernel<DynamicQuantizeLinearKernel>};

}  // namespace edgeinfer
