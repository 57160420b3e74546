// Shared pieces of the quantized operators (quantize.cc, qlinear_matmul_conv.cc, qlinear_contrib.cc):
// dtype checks, reading scale / zero-point tensors (per tensor or per axis), and int8/uint8 dispatch.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "kernels/quant_reference/quant_reference.h"

namespace edgeinfer {

inline bool is_q8(DataType t) { return t == DataType::kInt8 || t == DataType::kUint8; }

inline Status check_q8(DataType t, const std::string& what) {
  if (is_q8(t)) return Status::ok();
  return unsupported(what + " of dtype " + dtype_name(t) + " (int8 and uint8 only)");
}

// Calls fn(T{}) with T = int8_t or uint8_t for a q8 dtype.
template <typename F>
auto dispatch_q8(DataType t, F&& fn) {
  if (t == DataType::kInt8) return fn(int8_t{});
  return fn(uint8_t{});
}

// Scale and zero point, per tensor (size 1) or with one entry per index of the quantized axis.
struct QParams {
  std::vector<float> scale;
  std::vector<int32_t> zp;
  bool per_tensor() const { return scale.size() == 1; }
  float s(int64_t i) const { return scale[per_tensor() ? 0 : static_cast<size_t>(i)]; }
  int32_t z(int64_t i) const { return zp[zp.size() == 1 ? 0 : static_cast<size_t>(i)]; }
};

inline int32_t element_as_i32(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kInt8: return t.data<int8_t>()[i];
    case DataType::kUint8: return t.data<uint8_t>()[i];
    case DataType::kInt32: return t.data<int32_t>()[i];
    default: return 0;
  }
}

// Shape check of a scale or zero point: a scalar or 1-element tensor (per tensor), or, when
// axis_len >= 0, a 1-D tensor of axis_len entries. `name` names the input in errors.
inline Status check_qparam_shape(const Shape& s, int64_t axis_len, const std::string& name) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  if (n == 1 && s.size() <= 1) return Status::ok();
  if (axis_len >= 0 && s.size() == 1 && s[0] == axis_len) return Status::ok();
  return invalid_model(name + " has shape " + shape_to_string(s) + "; expected a scalar" +
                       (axis_len >= 0 ? " or a 1-D tensor of " + std::to_string(axis_len) + " entries" : std::string()));
}

// Reads scale (float32) and optional zero point (zp may be null: 0). axis_len as above.
inline Result<QParams> read_qparams(const Tensor& scale, const Tensor* zp, int64_t axis_len, const std::string& name) {
  if (scale.dtype() != DataType::kFloat32)
    return unsupported(name + " scale of dtype " + dtype_name(scale.dtype()) + " (float32 only)");
  EI_RETURN_IF_ERROR(check_qparam_shape(scale.shape(), axis_len, name + " scale"));
  QParams q;
  q.scale.assign(scale.data<float>(), scale.data<float>() + scale.numel());
  if (zp) {
    EI_RETURN_IF_ERROR(check_qparam_shape(zp->shape(), axis_len, name + " zero point"));
    if (zp->numel() != scale.numel())
      return invalid_model(name + " zero point has " + std::to_string(zp->numel()) + " entries, scale has " +
                           std::to_string(scale.numel()));
    for (int64_t i = 0; i < zp->numel(); ++i) q.zp.push_back(element_as_i32(*zp, i));
  } else {
    q.zp.assign(1, 0);
  }
  for (float s : q.scale)
    if (s == 0 || !std::isfinite(s))
      return invalid_argument(name + " scale must be finite and non-zero, got " + std::to_string(s));
  return q;
}

}  // namespace edgeinfer

namespace edgeinfer {
// DynamicQuantizeLinear's scale and uint8 zero point for x[0..n) (quantize.cc).
void dynamic_quantize_params(const float* x, int64_t n, float* scale, uint8_t* zp);
}  // namespace edgeinfer
