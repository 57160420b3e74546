#include <cmath>

#include "kernels/f32_reduce/f32_reduce.h"

namespace edgeinfer::kernels {
namespace {

inline float identity(F32ReduceOp op) {
  return op == F32ReduceOp::kMax ? -INFINITY : op == F32ReduceOp::kMin ? INFINITY : 0.0f;
}
inline float combine(F32ReduceOp op, float acc, float v) {
  switch (op) {
    case F32ReduceOp::kSum: return acc + v;
    case F32ReduceOp::kSumSquare: return acc + v * v;
    case F32ReduceOp::kSumAbs: return acc + std::fabs(v);
    // NaN propagates, as in the SIMD variants.
    case F32ReduceOp::kMax: return std::isnan(v) || v > acc ? v : acc;
    case F32ReduceOp::kMin: return std::isnan(v) || v < acc ? v : acc;
  }
  return acc;
}

}  // namespace

void f32_reduce_rows__ref(const float* x, float* y, int64_t rows, int64_t n, F32ReduceOp op) {
  for (int64_t r = 0; r < rows; ++r) {
    float acc = identity(op);
    for (int64_t i = 0; i < n; ++i) acc = combine(op, acc, x[r * n + i]);
    y[r] = acc;
  }
}

void f32_reduce_cols__ref(const float* x, float* y, int64_t n, int64_t width, int64_t stride, F32ReduceOp op) {
  for (int64_t j = 0; j < width; ++j) y[j] = identity(op);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < width; ++j) y[j] = combine(op, y[j], x[i * stride + j]);
}

}  // namespace edgeinfer::kernels
