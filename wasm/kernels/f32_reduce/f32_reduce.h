// Float reductions along one axis of a contiguous block.
//   rows: y[r] = reduce(x[r*n .. r*n+n))                          (the reduced axis is innermost)
//   cols: y[j] = reduce_i(x[i*stride + j]) for j < width, i < n   (the reduced axis is outer; the
//         SIMD variant vectorises across the contiguous j)
// Empty reductions (n == 0) yield the identity: 0 for sums, -inf for max, +inf for min.
#pragma once

#include <cstdint>

#include "kernels/simd.h"

namespace edgeinfer::kernels {

enum class F32ReduceOp { kSum, kSumSquare, kSumAbs, kMax, kMin };

void f32_reduce_rows__ref(const float* x, float* y, int64_t rows, int64_t n, F32ReduceOp op);
void f32_reduce_cols__ref(const float* x, float* y, int64_t n, int64_t width, int64_t stride, F32ReduceOp op);
#if EDGEINFER_SIMD128
void f32_reduce_rows__simd128(const float* x, float* y, int64_t rows, int64_t n, F32ReduceOp op);
void f32_reduce_cols__simd128(const float* x, float* y, int64_t n, int64_t width, int64_t stride, F32ReduceOp op);
#endif

inline void f32_reduce_rows(const float* x, float* y, int64_t rows, int64_t n, F32ReduceOp op) {
#if EDGEINFER_SIMD128
  f32_reduce_rows__simd128(x, y, rows, n, op);
#else
  f32_reduce_rows__ref(x, y, rows, n, op);
#endif
}
inline void f32_reduce_cols(const float* x, float* y, int64_t n, int64_t width, int64_t stride, F32ReduceOp op) {
#if EDGEINFER_SIMD128
  f32_reduce_cols__simd128(x, y, n, width, stride, op);
#else
  f32_reduce_cols__ref(x, y, n, width, stride, op);
#endif
}

}  // namespace edgeinfer::kernels
