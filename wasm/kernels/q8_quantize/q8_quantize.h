// QuantizeLinear / DequantizeLinear on one contiguous run with one scale and zero point:
//   quantize:   y = saturate(round_half_even(x / scale) + zero_point), NaN -> saturate(zero_point)
//   dequantize: y = float(x - zero_point) * scale
// exactly as kernels/quant_reference/quant_reference.h's quantize_value (onnxruntime's MLAS also
// divides by the scale). The simd128 variants perform the same float operations (f32x4.div,
// f32x4.nearest) and are bit-identical to the scalar loops (tested); the baseline build uses those.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgeinfer {

// y: n int8 (is_signed) or uint8 values.
void q8_quantize(const float* x, void* y, size_t n, float scale, int32_t zero_point, bool is_signed);
void q8_quantize_reference(const float* x, void* y, size_t n, float scale, int32_t zero_point, bool is_signed);

// x: n int8 (is_signed) or uint8 values.
void q8_dequantize(const void* x, float* y, size_t n, float scale, int32_t zero_point, bool is_signed);
void q8_dequantize_reference(const void* x, float* y, size_t n, float scale, int32_t zero_point, bool is_signed);

}  // namespace edgeinfer
