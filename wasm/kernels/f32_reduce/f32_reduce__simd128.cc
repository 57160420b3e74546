#include <cmath>

#include "kernels/f32_reduce/f32_reduce.h"
#include "kernels/f32_softmax/f32_exp_simd128.h"

#if EDGEINFER_SIMD128
namespace edgeinfer::kernels {
namespace {

inline float identity(F32ReduceOp op) {
  return op == F32ReduceOp::kMax ? -INFINITY : op == F32ReduceOp::kMin ? INFINITY : 0.0f;
}
inline float combine1(F32ReduceOp op, float acc, float v) {
  switch (op) {
    case F32ReduceOp::kSum: return acc + v;
    case F32ReduceOp::kSumSquare: return acc + v * v;
    case F32ReduceOp::kSumAbs: return acc + std::fabs(v);
    case F32ReduceOp::kMax: return std::isnan(v) || v > acc ? v : acc;
    case F32ReduceOp::kMin: return std::isnan(v) || v < acc ? v : acc;
  }
  return acc;
}

template <F32ReduceOp kOp>
inline v128_t combine4(v128_t acc, v128_t v) {
  if constexpr (kOp == F32ReduceOp::kSum) return wasm_f32x4_add(acc, v);
  if constexpr (kOp == F32ReduceOp::kSumSquare) return wasm_f32x4_add(acc, wasm_f32x4_mul(v, v));
  if constexpr (kOp == F32ReduceOp::kSumAbs) return wasm_f32x4_add(acc, wasm_f32x4_abs(v));
  if constexpr (kOp == F32ReduceOp::kMax) return wasm_f32x4_max(acc, v);
  if constexpr (kOp == F32ReduceOp::kMin) return wasm_f32x4_min(acc, v);
  return acc;
}

template <F32ReduceOp kOp>
inline float horizontal(v128_t v) {
  if constexpr (kOp == F32ReduceOp::kMax) return f32x4_hmax(v);
  if constexpr (kOp == F32ReduceOp::kMin) return f32x4_hmin(v);
  return f32x4_hsum(v);
}

template <F32ReduceOp kOp>
void rows(const float* x, float* y, int64_t nrows, int64_t n) {
  const v128_t id = wasm_f32x4_splat(identity(kOp));
  for (int64_t r = 0; r < nrows; ++r, x += n) {
    v128_t a0 = id, a1 = id, a2 = id, a3 = id;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
      a0 = combine4<kOp>(a0, wasm_v128_load(x + i));
      a1 = combine4<kOp>(a1, wasm_v128_load(x + i + 4));
      a2 = combine4<kOp>(a2, wasm_v128_load(x + i + 8));
      a3 = combine4<kOp>(a3, wasm_v128_load(x + i + 12));
    }
    for (; i + 4 <= n; i += 4) a0 = combine4<kOp>(a0, wasm_v128_load(x + i));
    if constexpr (kOp == F32ReduceOp::kMax || kOp == F32ReduceOp::kMin) {
      a0 = combine4<kOp>(combine4<kOp>(a0, a1), combine4<kOp>(a2, a3));
    } else {
      a0 = wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3));
    }
    float acc = horizontal<kOp>(a0);
    for (; i < n; ++i) acc = combine1(kOp, acc, x[i]);
    y[r] = acc;
  }
}

template <F32ReduceOp kOp>
void cols(const float* x, float* y, int64_t n, int64_t width, int64_t stride) {
  const v128_t id = wasm_f32x4_splat(identity(kOp));
  int64_t j = 0;
  for (; j + 16 <= width; j += 16) {
    v128_t a0 = id, a1 = id, a2 = id, a3 = id;
    for (int64_t i = 0; i < n; ++i) {
      const float* p = x + i * stride + j;
      a0 = combine4<kOp>(a0, wasm_v128_load(p));
      a1 = combine4<kOp>(a1, wasm_v128_load(p + 4));
      a2 = combine4<kOp>(a2, wasm_v128_load(p + 8));
      a3 = combine4<kOp>(a3, wasm_v128_load(p + 12));
    }
    wasm_v128_store(y + j, a0);
    wasm_v128_store(y + j + 4, a1);
    wasm_v128_store(y + j + 8, a2);
    wasm_v128_store(y + j + 12, a3);
  }
  for (; j + 4 <= width; j += 4) {
    v128_t a0 = id;
    for (int64_t i = 0; i < n; ++i) a0 = combine4<kOp>(a0, wasm_v128_load(x + i * stride + j));
    wasm_v128_store(y + j, a0);
  }
  for (; j < width; ++j) {
    float acc = identity(kOp);
    for (int64_t i = 0; i < n; ++i) acc = combine1(kOp, acc, x[i * stride + j]);
    y[j] = acc;
  }
}

}  // namespace

void f32_reduce_rows__simd128(const float* x, float* y, int64_t nrows, int64_t n, F32ReduceOp op) {
  switch (op) {
    case F32ReduceOp::kSum: return rows<F32ReduceOp::kSum>(x, y, nrows, n);
    case F32ReduceOp::kSumSquare: return rows<F32ReduceOp::kSumSquare>(x, y, nrows, n);
    case F32ReduceOp::kSumAbs: return rows<F32ReduceOp::kSumAbs>(x, y, nrows, n);
    case F32ReduceOp::kMax: return rows<F32ReduceOp::kMax>(x, y, nrows, n);
    case F32ReduceOp::kMin: return rows<F32ReduceOp::kMin>(x, y, nrows, n);
  }
}

void f32_reduce_cols__simd128(const float* x, float* y, int64_t n, int64_t width, int64_t stride, F32ReduceOp op) {
  switch (op) {
    case F32ReduceOp::kSum: return cols<F32ReduceOp::kSum>(x, y, n, width, stride);
    case F32ReduceOp::kSumSquare: return cols<F32ReduceOp::kSumSquare>(x, y, n, width, stride);
    case F32ReduceOp::kSumAbs: return cols<F32ReduceOp::kSumAbs>(x, y, n, width, stride);
    case F32ReduceOp::kMax: return cols<F32ReduceOp::kMax>(x, y, n, width, stride);
    case F32ReduceOp::kMin: return cols<F32ReduceOp::kMin>(x, y, n, width, stride);
  }
}

}  // namespace edgeinfer::kernels
#endif
