// QuantizeLinear / DequantizeLinear kernels (see q8_quantize.h).
#include "kernels/q8_quantize/q8_quantize.h"

#include <cstring>

#include "kernels/quant_reference/quant_reference.h"
#include "kernels/simd.h"

// The dequantize multiply must not fuse with anything: no contraction in the scalar loops either.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace edgeinfer {
namespace {

template <typename T>
void quantize_scalar(const float* x, T* y, size_t n, float scale, int32_t zp) {
  for (size_t i = 0; i < n; ++i) y[i] = quantize_value<T>(x[i], scale, zp);
}

template <typename T>
void dequantize_scalar(const T* x, float* y, size_t n, float scale, int32_t zp) {
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(static_cast<int32_t>(x[i]) - zp) * scale;
}

#if EDGEINFER_SIMD128
template <bool kSigned>
void quantize_simd(const float* x, uint8_t* y, size_t n, float scale, int32_t zp) {
  // round_half_even(x / scale) + zp, saturated: the quotient is clamped to [qmin - zp, qmax - zp]
  // first (rounding is monotone and those bounds are integers, so clamping first gives the same
  // result) and then rounded by adding 1.5 * 2^23, whose bit pattern minus that of 1.5 * 2^23 - zp is
  // the answer (exact half-to-even for |v| < 2^22; cheaper than f32x4.nearest + i32x4.trunc_sat).
  const v128_t vs = wasm_f32x4_splat(scale);
  const v128_t vlo = wasm_f32x4_splat(static_cast<float>((kSigned ? -128 : 0) - zp));
  const v128_t vhi = wasm_f32x4_splat(static_cast<float>((kSigned ? 127 : 255) - zp));
  const v128_t vmagic = wasm_f32x4_splat(12582912.0f), vmagic_zp = wasm_i32x4_splat(0x4B400000 - zp);
  auto four = [&](const float* p) {
    v128_t q = wasm_f32x4_div(wasm_v128_load(p), vs);
    q = wasm_v128_and(q, wasm_f32x4_eq(q, q));  // NaN -> 0, so the result is the saturated zero point
    // No NaN left: pmin/pmax are plain compares-and-selects (minps/maxps on x86).
    q = wasm_f32x4_pmin(wasm_f32x4_pmax(q, vlo), vhi);
    return wasm_i32x4_sub(wasm_f32x4_add(q, vmagic), vmagic_zp);
  };
  auto sixteen = [&](const float* p, uint8_t* out) {
    const v128_t h0 = wasm_i16x8_narrow_i32x4(four(p), four(p + 4));
    const v128_t h1 = wasm_i16x8_narrow_i32x4(four(p + 8), four(p + 12));
    wasm_v128_store(out, kSigned ? wasm_i8x16_narrow_i16x8(h0, h1) : wasm_u8x16_narrow_i16x8(h0, h1));
  };
  size_t i = 0;
  for (; i + 16 <= n; i += 16) sixteen(x + i, y + i);
  if (i < n) {
    alignas(16) float tx[16] = {0};
    alignas(16) uint8_t ty[16];
    std::memcpy(tx, x + i, (n - i) * sizeof(float));
    sixteen(tx, ty);
    std::memcpy(y + i, ty, n - i);
  }
}

template <bool kSigned>
void dequantize_simd(const uint8_t* x, float* y, size_t n, float scale, int32_t zp) {
  const v128_t vs = wasm_f32x4_splat(scale), vzp = wasm_i16x8_splat(static_cast<int16_t>(zp));
  auto eight = [&](const uint8_t* p, float* out) {
    const v128_t h = wasm_i16x8_sub(kSigned ? wasm_i16x8_load8x8(p) : wasm_u16x8_load8x8(p), vzp);
    wasm_v128_store(out, wasm_f32x4_mul(edgeinfer_f32x4_from_small_i32x4(wasm_i32x4_extend_low_i16x8(h)), vs));
    wasm_v128_store(out + 4, wasm_f32x4_mul(edgeinfer_f32x4_from_small_i32x4(wasm_i32x4_extend_high_i16x8(h)), vs));
  };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) eight(x + i, y + i);
  if (i < n) {
    alignas(16) uint8_t tx[8] = {0};
    alignas(16) float ty[8];
    std::memcpy(tx, x + i, n - i);
    eight(tx, ty);
    std::memcpy(y + i, ty, (n - i) * sizeof(float));
  }
}
#endif

}  // namespace

void q8_quantize_reference(const float* x, void* y, size_t n, float scale, int32_t zero_point, bool is_signed) {
  if (is_signed)
    quantize_scalar(x, static_cast<int8_t*>(y), n, scale, zero_point);
  else
    quantize_scalar(x, static_cast<uint8_t*>(y), n, scale, zero_point);
}

void q8_dequantize_reference(const void* x, float* y, size_t n, float scale, int32_t zero_point, bool is_signed) {
  if (is_signed)
    dequantize_scalar(static_cast<const int8_t*>(x), y, n, scale, zero_point);
  else
    dequantize_scalar(static_cast<const uint8_t*>(x), y, n, scale, zero_point);
}

void q8_quantize(const float* x, void* y, size_t n, float scale, int32_t zero_point, bool is_signed) {
#if EDGEINFER_SIMD128
  (is_signed ? quantize_simd<true> : quantize_simd<false>)(x, static_cast<uint8_t*>(y), n, scale, zero_point);
#else
  q8_quantize_reference(x, y, n, scale, zero_point, is_signed);
#endif
}

void q8_dequantize(const void* x, float* y, size_t n, float scale, int32_t zero_point, bool is_signed) {
#if EDGEINFER_SIMD128
  (is_signed ? dequantize_simd<true> : dequantize_simd<false>)(static_cast<const uint8_t*>(x), y, n, scale, zero_point);
#else
  q8_dequantize_reference(x, y, n, scale, zero_point, is_signed);
#endif
}

}  // namespace edgeinfer
