// Softmax / LogSoftmax kernels and a vectorised exp.
//   rows:    `rows` contiguous rows of length n (the axis is innermost).
//   strided: softmax along i < n of x[i * stride + j] for every column j < width (the axis is not
//            innermost); the SIMD variant vectorises across the contiguous columns.
// All are numerically stable (the running max is subtracted before exp).
#pragma once

#include <cstdint>

#include "kernels/simd.h"

namespace edgeinfer::kernels {

void f32_vexp__ref(const float* x, float* y, int64_t n);
void f32_softmax_rows__ref(const float* x, float* y, int64_t rows, int64_t n, bool log);
void f32_softmax_strided__ref(const float* x, float* y, int64_t n, int64_t width, int64_t stride, bool log);

#if EDGEINFER_SIMD128
void f32_vexp__simd128(const float* x, float* y, int64_t n);
void f32_softmax_rows__simd128(const float* x, float* y, int64_t rows, int64_t n, bool log);
void f32_softmax_strided__simd128(const float* x, float* y, int64_t n, int64_t width, int64_t stride, bool log);
#endif

inline void f32_vexp(const float* x, float* y, int64_t n) {
#if EDGEINFER_SIMD128
  f32_vexp__simd128(x, y, n);
#else
  f32_vexp__ref(x, y, n);
#endif
}
inline void f32_softmax_rows(const float* x, float* y, int64_t rows, int64_t n, bool log) {
#if EDGEINFER_SIMD128
  f32_softmax_rows__simd128(x, y, rows, n, log);
#else
  f32_softmax_rows__ref(x, y, rows, n, log);
#endif
}
inline void f32_softmax_strided(const float* x, float* y, int64_t n, int64_t width, int64_t stride, bool log) {
#if EDGEINFER_SIMD128
  f32_softmax_strided__simd128(x, y, n, width, stride, log);
#else
  f32_softmax_strided__ref(x, y, n, width, stride, log);
#endif
}

}  // namespace edgeinfer::kernels
