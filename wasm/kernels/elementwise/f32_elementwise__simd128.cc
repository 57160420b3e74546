// SIMD128 loops: 8 floats per iteration where the op is cheap, then 4, then a scalar tail computed with
// the reference semantics.
#include "kernels/elementwise/elementwise.h"

#if EDGEINFER_SIMD128

namespace edgeinfer {
namespace elementwise {
namespace {

// Applies `vf` to whole vectors and the reference op to the tail.
template <typename VF>
inline void unary_loop(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n, VF vf) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    v128_t v0 = wasm_v128_load(x + i);
    v128_t v1 = wasm_v128_load(x + i + 4);
    wasm_v128_store(y + i, vf(v0));
    wasm_v128_store(y + i + 4, vf(v1));
  }
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, vf(wasm_v128_load(x + i)));
  for (; i < n; ++i) y[i] = unary_scalar<float>(op, p, x[i]);
}

// x < lo ? lo : x, then hi < v ? hi : v; pmax/pmin keep a NaN x as it is.
inline v128_t clamp(v128_t x, v128_t lo, v128_t hi) { return wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), hi); }

}  // namespace

void f32_unary__simd128(UnaryOp op, const UnaryParams& p, const float* x, float* y, int64_t n) {
  const v128_t zero = wasm_f32x4_splat(0.0f);
  const v128_t one = wasm_f32x4_splat(1.0f);
  const v128_t half = wasm_f32x4_splat(0.5f);
  const v128_t va = wasm_f32x4_splat(p.alpha);
  const v128_t vb = wasm_f32x4_splat(p.beta);
  switch (op) {
    case UnaryOp::kAbs: return unary_loop(op, p, x, y, n, [](v128_t v) { return wasm_f32x4_abs(v); });
    case UnaryOp::kNeg: return unary_loop(op, p, x, y, n, [](v128_t v) { return wasm_f32x4_neg(v); });
    case UnaryOp::kSqrt: return unary_loop(op, p, x, y, n, [](v128_t v) { return wasm_f32x4_sqrt(v); });
    case UnaryOp::kReciprocal:
      return unary_loop(op, p, x, y, n, [=](v128_t v) { return wasm_f32x4_div(one, v); });
    case UnaryOp::kFloor: return unary_loop(op, p, x, y, n, [](v128_t v) { return wasm_f32x4_floor(v); });
    case UnaryOp::kCeil: return unary_loop(op, p, x, y, n, [](v128_t v) { return wasm_f32x4_ceil(v); });
    case UnaryOp::kRound: return unary_loop(op, p, x, y, n, [](v128_t v) { return wasm_f32x4_nearest(v); });
    case UnaryOp::kRelu: return unary_loop(op, p, x, y, n, [=](v128_t v) { return wasm_f32x4_pmax(v, zero); });
    case UnaryOp::kClip: return unary_loop(op, p, x, y, n, [=](v128_t v) { return clamp(v, va, vb); });
    case UnaryOp::kLeakyRelu:
      return unary_loop(op, p, x, y, n, [=](v128_t v) {
        return wasm_v128_bitselect(wasm_f32x4_mul(v, va), v, wasm_f32x4_lt(v, zero));
      });
    case UnaryOp::kHardSigmoid:
      return unary_loop(op, p, x, y, n, [=](v128_t v) {
        return clamp(wasm_f32x4_add(wasm_f32x4_mul(v, va), vb), zero, one);
      });
    case UnaryOp::kHardSwish: {
      const v128_t sixth = wasm_f32x4_splat(static_cast<float>(1.0 / 6.0));
      return unary_loop(op, p, x, y, n, [=](v128_t v) {
        return wasm_f32x4_mul(v, clamp(wasm_f32x4_add(wasm_f32x4_mul(v, sixth), half), zero, one));
      });
    }
    case UnaryOp::kSoftsign:
      return unary_loop(op, p, x, y, n, [=](v128_t v) {
        return wasm_f32x4_div(v, wasm_f32x4_add(one, wasm_f32x4_abs(v)));
      });
    case UnaryOp::kExp: return unary_loop(op, p, x, y, n, [](v128_t v) { return f32x4_exp(v); });
    case UnaryOp::kSigmoid: return unary_loop(op, p, x, y, n, [](v128_t v) { return f32x4_sigmoid(v); });
    case UnaryOp::kTanh: return unary_loop(op, p, x, y, n, [](v128_t v) { return f32x4_tanh(v); });
    case UnaryOp::kErf: return unary_loop(op, p, x, y, n, [](v128_t v) { return f32x4_erf(v); });
    case UnaryOp::kGeluErf: {
      const v128_t rsqrt2 = wasm_f32x4_splat(0.70710678118654752440f);
      return unary_loop(op, p, x, y, n, [=](v128_t v) {
        v128_t e = f32x4_erf(wasm_f32x4_mul(v, rsqrt2));
        return wasm_f32x4_mul(wasm_f32x4_mul(half, v), wasm_f32x4_add(one, e));
      });
    }
    case UnaryOp::kGeluTanh: {
      const v128_t k0 = wasm_f32x4_splat(0.79788456080286535588f);
      const v128_t k1 = wasm_f32x4_splat(0.044715f);
      return unary_loop(op, p, x, y, n, [=](v128_t v) {
        v128_t cube = wasm_f32x4_mul(wasm_f32x4_mul(v, v), v);
        v128_t t = f32x4_tanh(wasm_f32x4_mul(k0, wasm_f32x4_add(v, wasm_f32x4_mul(k1, cube))));
        return wasm_f32x4_mul(wasm_f32x4_mul(half, v), wasm_f32x4_add(one, t));
      });
    }
    default:
      // Log, Elu, Selu, Softplus, Sign, Sin, Cos: libm accuracy matters more than speed here.
      return f32_unary__reference(op, p, x, y, n);
  }
}

namespace {

template <typename VF>
inline void binary_loop(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
                        int64_t n, VF vf) {
  int64_t i = 0;
  if (sa == 1 && sb == 1) {
    for (; i + 8 <= n; i += 8) {
      v128_t r0 = vf(wasm_v128_load(a + i), wasm_v128_load(b + i));
      v128_t r1 = vf(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4));
      wasm_v128_store(y + i, r0);
      wasm_v128_store(y + i + 4, r1);
    }
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, vf(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  } else if (sa == 1 && sb == 0) {
    const v128_t vb = wasm_f32x4_splat(b[0]);
    for (; i + 8 <= n; i += 8) {
      v128_t r0 = vf(wasm_v128_load(a + i), vb);
      v128_t r1 = vf(wasm_v128_load(a + i + 4), vb);
      wasm_v128_store(y + i, r0);
      wasm_v128_store(y + i + 4, r1);
    }
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, vf(wasm_v128_load(a + i), vb));
  } else if (sa == 0 && sb == 1) {
    const v128_t va = wasm_f32x4_splat(a[0]);
    for (; i + 8 <= n; i += 8) {
      v128_t r0 = vf(va, wasm_v128_load(b + i));
      v128_t r1 = vf(va, wasm_v128_load(b + i + 4));
      wasm_v128_store(y + i, r0);
      wasm_v128_store(y + i + 4, r1);
    }
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, vf(va, wasm_v128_load(b + i)));
  } else {
    const float v = binary_scalar<float>(op, a[0], b[0]);
    for (; i < n; ++i) y[i] = v;
  }
  for (; i < n; ++i) y[i] = binary_scalar<float>(op, a[i * sa], b[i * sb]);
}

}  // namespace

void f32_binary__simd128(BinaryOp op, const float* a, int64_t sa, const float* b, int64_t sb, float* y,
                         int64_t n) {
  switch (op) {
    case BinaryOp::kAdd:
      return binary_loop(op, a, sa, b, sb, y, n, [](v128_t u, v128_t v) { return wasm_f32x4_add(u, v); });
    case BinaryOp::kSub:
      return binary_loop(op, a, sa, b, sb, y, n, [](v128_t u, v128_t v) { return wasm_f32x4_sub(u, v); });
    case BinaryOp::kMul:
      return binary_loop(op, a, sa, b, sb, y, n, [](v128_t u, v128_t v) { return wasm_f32x4_mul(u, v); });
    case BinaryOp::kDiv:
      return binary_loop(op, a, sa, b, sb, y, n, [](v128_t u, v128_t v) { return wasm_f32x4_div(u, v); });
    case BinaryOp::kMax:
      return binary_loop(op, a, sa, b, sb, y, n, [](v128_t u, v128_t v) { return wasm_f32x4_max(u, v); });
    case BinaryOp::kMin:
      return binary_loop(op, a, sa, b, sb, y, n, [](v128_t u, v128_t v) { return wasm_f32x4_min(u, v); });
    case BinaryOp::kPRelu:
      return binary_loop(op, a, sa, b, sb, y, n, [](v128_t u, v128_t v) {
        return wasm_v128_bitselect(wasm_f32x4_mul(u, v), u, wasm_f32x4_lt(u, wasm_f32x4_splat(0.0f)));
      });
    case BinaryOp::kPow:
      if (sb == 0 && b[0] == 2.0f)  // x^2 is exactly x*x: the common case in normalisation subgraphs
        return binary_loop(op, a, sa, b, sb, y, n, [](v128_t u, v128_t) { return wasm_f32x4_mul(u, u); });
      return f32_binary__reference(op, a, sa, b, sb, y, n);
  }
}

}  // namespace elementwise
}  // namespace edgeinfer

#endif  // EDGEINFER_SIMD128
