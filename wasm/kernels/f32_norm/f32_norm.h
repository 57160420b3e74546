// Building blocks of BatchNormalization, InstanceNormalization and LayerNormalization.
//   moments:   mean and (population) variance of n floats, two passes for accuracy.
//   normalize: y[i] = (x[i] - mean) * inv_std * scale[i] + bias[i]   (scale/bias may be null: 1 / 0)
//   affine:    y[i] = x[i] * a + b
#pragma once

#include <cstdint>

#include "kernels/simd.h"

namespace edgeinfer::kernels {

void f32_moments__ref(const float* x, int64_t n, float* mean, float* var);
void f32_normalize__ref(const float* x, float* y, int64_t n, float mean, float inv_std, const float* scale,
                        const float* bias);
void f32_affine__ref(const float* x, float* y, int64_t n, float a, float b);
#if EDGEINFER_SIMD128
void f32_moments__simd128(const float* x, int64_t n, float* mean, float* var);
void f32_normalize__simd128(const float* x, float* y, int64_t n, float mean, float inv_std, const float* scale,
                            const float* bias);
void f32_affine__simd128(const float* x, float* y, int64_t n, float a, float b);
#endif

inline void f32_moments(const float* x, int64_t n, float* mean, float* var) {
#if EDGEINFER_SIMD128
  f32_moments__simd128(x, n, mean, var);
#else
  f32_moments__ref(x, n, mean, var);
#endif
}
inline void f32_normalize(const float* x, float* y, int64_t n, float mean, float inv_std, const float* scale,
                          const float* bias) {
#if EDGEINFER_SIMD128
  f32_normalize__simd128(x, y, n, mean, inv_std, scale, bias);
#else
  f32_normalize__ref(x, y, n, mean, inv_std, scale, bias);
#endif
}
inline void f32_affine(const float* x, float* y, int64_t n, float a, float b) {
#if EDGEINFER_SIMD128
  f32_affine__simd128(x, y, n, a, b);
#else
  f32_affine__ref(x, y, n, a, b);
#endif
}

}  // namespace edgeinfer::kernels
