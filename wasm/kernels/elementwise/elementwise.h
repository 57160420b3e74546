// Float32 elementwise loops (unary and binary) and the vectorised transcendental functions they use.
// Each loop has a scalar reference (`__reference`) and a SIMD128 variant (`__simd128`, compiled when
// EDGEINFER_SIMD128); the unsuffixed function picks the best one compiled in. Other kernel families
// (softmax, normalisation) may reuse f32x4_exp & co.
//
// Accuracy of the SIMD variants against the std:: functions (tested in elementwise_test.cc):
//   exp: <= 1 ulp (measured), sigmoid: <= 2 ulp, tanh: <= 2 ulp, erf: <= 5e-7 absolute (rational
//   approximation; measured 3.3e-7), relative <= 4 ulp near 0.
// Gelu inherits the erf/tanh error; everything else is exact (same IEEE operations as the reference).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/simd.h"

namespace edgeinfer {
namespace elementwise {

enum class UnaryOp {
  kAbs, kNeg, kSqrt, kExp, kLog, kReciprocal, kFloor, kCeil, kRound, kErf, kTanh, kSigmoid,
  kRelu, kLeakyRelu, kElu, kSelu, kSoftplus, kSoftsign, kHardSigmoid, kHardSwish, kGeluErf, kGeluTanh,
  kClip, kSign, kSin, kCos,
};

// alpha/beta/gamma as the ONNX attributes of the op; Clip: alpha = min, beta = max.
struct UnaryParams {
  float alpha = 0.0f;
  float beta = 0.0f;
  float gamma = 0.0f;
};

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kMax, kMin, kPow, kPRelu };

// The reference semantics of one element, for float and double. NaN propagates through every op
// (Max/Min included: max(NaN, 1) is NaN, like numpy.maximum).
template <typename T>
inline T unary_scalar(UnaryOp op, const UnaryParams& p, T x) {
  const T a = static_cast<T>(p.alpha), b = static_cast<T>(p.beta), g = static_cast<T>(p.gamma);
  switch (op) {
    case UnaryOp::kAbs: return std::fabs(x);
    case UnaryOp::kNeg: return -x;
    case UnaryOp::kSqrt: return std::sqrt(x);
    case UnaryOp::kExp: return std::exp(x);
    case UnaryOp::kLog: return std::log(x);
    case UnaryOp::kReciprocal: return T(1) / x;
    case UnaryOp::kFloor: return std::floor(x);
    case UnaryOp::kCeil: return std::ceil(x);
    case UnaryOp::kRound: return std::nearbyint(x);  // default rounding mode: half to even
    case UnaryOp::kErf: return std::erf(x);
    case UnaryOp::kTanh: return std::tanh(x);
    case UnaryOp::kSigmoid: return T(1) / (T(1) + std::exp(-x));
    case UnaryOp::kRelu: return x < T(0) ? T(0) : x;
    case UnaryOp::kLeakyRelu: return x < T(0) ? a * x : x;
    case UnaryOp::kElu: return x < T(0) ? a * std::expm1(x) : x;
    case UnaryOp::kSelu: return x <= T(0) ? g * (a * std::expm1(x)) : g * x;
    case UnaryOp::kSoftplus:  // log(1 + exp(x)) without overflow
      return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    case UnaryOp::kSoftsign: return x / (T(1) + std::fabs(x));
    case UnaryOp::kHardSigmoid: {
      T v = a * x + b;
      v = v < T(0) ? T(0) : v;
      return T(1) < v ? T(1) : v;
    }
    case UnaryOp::kHardSwish: {
      T v = x * T(1.0 / 6.0) + T(0.5);
      v = v < T(0) ? T(0) : v;
      return x * (T(1) < v ? T(1) : v);
    }
    case UnaryOp::kGeluErf: return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
    case UnaryOp::kGeluTanh:
      return T(0.5) * x * (T(1) + std::tanh(T(0.79788456080286535588) * (x + T(0.044715) * x * x * x)));
    case UnaryOp::kClip: {
      T v = x < a ? a : x;  // NaN stays NaN
      return b < v ? b : v;
    }
    case UnaryOp::kSign: return x > T(0) ? T(1) : (x < T(0) ? T(-1) : x);  // keeps 0 and NaN
    case UnaryOp::kSin: return std::sin(x);
    case UnaryOp::kCos: return std::cos(x);
  }
  return x;
}

template <typename T>
inline T binary_scalar(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kDiv: return a / b;
    case BinaryOp::kMax: return (a != a || b != b) ? a + b : (a < b ? b : a);
    case BinaryOp::kMin: return (a != a || b != b) ? a + b : (b < a ? b : a);
    case BinaryOp::kPow: return std::pow(a, b);
    case BinaryOp::kPRelu: return a < T(0) ? a * b : a;
  }
  return a;
}

// y[i] = op(x[i]) for i in [0, n). y may equal x.
void f32_unary__reference(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n);
// y[i] = op(a[i * sa], b[i * sb]) with strides sa, sb in {0, 1} (0: a scalar broadcast over the row).
// y may equal a or b.
void f32_binary__reference(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
                           int64_t n);
#if EDGEINFER_SIMD128
void f32_unary__simd128(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n);
void f32_binary__simd128(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
                         int64_t n);
#endif

inline void f32_unary(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n) {
#if EDGEINFER_SIMD128
  f32_unary__simd128(op, p, x, y, n);
#else
  f32_unary__reference(op, p, x, y, n);
#endif
}

inline void f32_binary(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
                       int64_t n) {
#if EDGEINFER_SIMD128
  f32_binary__simd128(op, a, sa, b, sb, y, n);
#else
  f32_binary__reference(op, a, sa, b, sb, y, n);
#endif
}

// y = exp(x) over n floats (SIMD when compiled in); for reuse by softmax-like kernels.
inline void f32_exp(const float* x, float* y, int64_t n) { f32_unary(UnaryOp::kExp, UnaryParams{}, x, y, n); }

#if EDGEINFER_SIMD128
// ---- Vectorised float32 math. NaN in gives NaN out; infinities give the limits of the function.

// Returns `y` where x is not NaN, x (the NaN) elsewhere.
inline v128_t f32x4_keep_nan(v128_t x, v128_t y) { return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x)); }

// exp(x): x = n*ln2 + r, |r| <= ln2/2, exp(r) by the Cephes expf polynomial, then 2^n applied in two
// halves so that results down to the smallest subnormal come out right.
inline v128_t f32x4_exp(v128_t x) {
  const v128_t hi = wasm_f32x4_splat(88.72283935546875f);  // above: +inf
  const v128_t lo = wasm_f32x4_splat(-104.0f);             // below: 0
  v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), wasm_f32x4_splat(89.0f));
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(xc, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t z = wasm_f32x4_mul(r, r);
  v128_t poly = wasm_f32x4_splat(1.9875691500e-4f);
  poly = wasm_f32x4_add(wasm_f32x4_mul(poly, r), wasm_f32x4_splat(1.3981999507e-3f));
  poly = wasm_f32x4_add(wasm_f32x4_mul(poly, r), wasm_f32x4_splat(8.3334519073e-3f));
  poly = wasm_f32x4_add(wasm_f32x4_mul(poly, r), wasm_f32x4_splat(4.1665795894e-2f));
  poly = wasm_f32x4_add(wasm_f32x4_mul(poly, r), wasm_f32x4_splat(1.6666665459e-1f));
  poly = wasm_f32x4_add(wasm_f32x4_mul(poly, r), wasm_f32x4_splat(5.0000001201e-1f));
  poly = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(poly, z), r), wasm_f32x4_splat(1.0f));
  v128_t ni = wasm_i32x4_trunc_sat_f32x4(n);  // n in [-150, 128]
  v128_t n1 = wasm_i32x4_shr(ni, 1);
  v128_t n2 = wasm_i32x4_sub(ni, n1);
  const v128_t bias = wasm_i32x4_splat(127);
  v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, bias), 23);
  v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, bias), 23);
  v128_t y = wasm_f32x4_mul(wasm_f32x4_mul(poly, s1), s2);
  y = wasm_v128_bitselect(wasm_f32x4_splat(INFINITY), y, wasm_f32x4_gt(x, hi));
  return f32x4_keep_nan(x, y);
}

inline v128_t f32x4_sigmoid(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, f32x4_exp(wasm_f32x4_neg(x))));
}

// tanh: odd polynomial (Cephes tanhf) for |x| < 0.625, else 1 - 2 / (exp(2|x|) + 1) with the sign restored.
inline v128_t f32x4_tanh(v128_t x) {
  const v128_t sign_mask = wasm_f32x4_splat(-0.0f);
  v128_t ax = wasm_f32x4_abs(x);
  v128_t z = wasm_f32x4_mul(x, x);
  v128_t p = wasm_f32x4_splat(-5.70498872745e-3f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(2.06390887954e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-5.37397155531e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(1.33314422036e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-3.33332819422e-1f));
  v128_t small = wasm_f32x4_add(x, wasm_f32x4_mul(wasm_f32x4_mul(p, z), x));
  const v128_t one = wasm_f32x4_splat(1.0f);
  v128_t e = f32x4_exp(wasm_f32x4_add(ax, ax));
  v128_t big = wasm_f32x4_sub(one, wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(e, one)));
  big = wasm_v128_or(big, wasm_v128_and(x, sign_mask));
  v128_t y = wasm_v128_bitselect(small, big, wasm_f32x4_lt(ax, wasm_f32x4_splat(0.625f)));
  return f32x4_keep_nan(x, y);
}

// erf: x * P(x^2) / Q(x^2) on [-4, 4] (outside, erf is +-1 in float); the rational approximation
// used by Eigen and XLA.
inline v128_t f32x4_erf(v128_t x) {
  v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(x, wasm_f32x4_splat(-4.0f)), wasm_f32x4_splat(4.0f));
  v128_t x2 = wasm_f32x4_mul(xc, xc);
  v128_t p = wasm_f32x4_splat(-2.72614225801306e-10f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(2.77068142495902e-08f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(-2.10102402082508e-06f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(-5.69250639462346e-05f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(-7.34990630326855e-04f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(-2.95459980854025e-03f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), wasm_f32x4_splat(-1.60960333262415e-02f));
  p = wasm_f32x4_mul(p, xc);
  v128_t q = wasm_f32x4_splat(-1.45660718464996e-05f);
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(-2.13374055278905e-04f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(-1.68282697438203e-03f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(-7.37332916720468e-03f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(-1.42647390514189e-02f));
  return f32x4_keep_nan(x, wasm_f32x4_div(p, q));
}
#endif  // EDGEINFER_SIMD128

}  // namespace elementwise
}  // namespace edgeinfer
