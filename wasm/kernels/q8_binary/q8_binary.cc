// QLinearAdd / QLinearMul kernels (see q8_binary.h).
#include "kernels/q8_binary/q8_binary.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/simd.h"

// The scalar add must round ra * xa and rb * xb separately, as the SIMD kernel (and wasm) do: no FMA.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace edgeinfer {
namespace {

template <bool kSigned>
inline int32_t ld(const void* p, size_t i) {
  return kSigned ? static_cast<const int8_t*>(p)[i] : static_cast<const uint8_t*>(p)[i];
}

template <bool kSigned>
void reference_impl(const Q8BinaryParams& p, const void* a, size_t as, const void* b, size_t bs, void* y, size_t n) {
  const int32_t qlo = kSigned ? -128 : 0, qhi = kSigned ? 127 : 255;
  const float lo = static_cast<float>(qlo - p.zc), hi = static_cast<float>(qhi - p.zc);
  for (size_t i = 0; i < n; ++i) {
    const int32_t xa = ld<kSigned>(a, i * as) - p.za, xb = ld<kSigned>(b, i * bs) - p.zb;
    float v = p.mul ? static_cast<float>(xa * xb) * p.ra : p.ra * static_cast<float>(xa) + p.rb * static_cast<float>(xb);
    v = std::min(std::max(v, lo), hi);
    const int32_t q = static_cast<int32_t>(std::nearbyint(v)) + p.zc;
    if (kSigned)
      static_cast<int8_t*>(y)[i] = static_cast<int8_t>(q);
    else
      static_cast<uint8_t*>(y)[i] = static_cast<uint8_t>(q);
  }
}

#if EDGEINFER_SIMD128
// 16 bytes as two i16x8 of (v - zp).
template <bool kSigned>
inline void widen(v128_t v, v128_t zp, v128_t* lo, v128_t* hi) {
  *lo = wasm_i16x8_sub(kSigned ? wasm_i16x8_extend_low_i8x16(v) : wasm_u16x8_extend_low_u8x16(v), zp);
  *hi = wasm_i16x8_sub(kSigned ? wasm_i16x8_extend_high_i8x16(v) : wasm_u16x8_extend_high_u8x16(v), zp);
}

inline v128_t f_lo(v128_t h) { return edgeinfer_f32x4_from_small_i32x4(wasm_i32x4_extend_low_i16x8(h)); }
inline v128_t f_hi(v128_t h) { return edgeinfer_f32x4_from_small_i32x4(wasm_i32x4_extend_high_i16x8(h)); }

template <bool kSigned, bool kMul>
void simd_impl(const Q8BinaryParams& p, const void* a, size_t as, const void* b, size_t bs, void* y, size_t n) {
  const v128_t vza = wasm_i16x8_splat(static_cast<int16_t>(p.za)), vzb = wasm_i16x8_splat(static_cast<int16_t>(p.zb));
  const v128_t vra = wasm_f32x4_splat(p.ra), vrb = wasm_f32x4_splat(p.rb);
  const v128_t vlo = wasm_f32x4_splat(static_cast<float>((kSigned ? -128 : 0) - p.zc));
  const v128_t vhi = wasm_f32x4_splat(static_cast<float>((kSigned ? 127 : 255) - p.zc));
  // Rounding by adding 1.5 * 2^23 (see q8_dwconv's store step): exact half-to-even for the clamped
  // |v| <= 510, cheaper than nearest + trunc_sat; the zero point is folded into the bit pattern.
  const v128_t vmagic = wasm_f32x4_splat(12582912.0f), vmagic_zc = wasm_i32x4_splat(0x4B400000 - p.zc);
  // A stride-0 operand is the same vector every step.
  v128_t sa = wasm_i8x16_splat(static_cast<int8_t>(static_cast<const uint8_t*>(a)[0]));
  v128_t sb = wasm_i8x16_splat(static_cast<int8_t>(static_cast<const uint8_t*>(b)[0]));
  auto block = [&](const uint8_t* pa, const uint8_t* pb, uint8_t* py) {
    v128_t a0, a1, b0, b1;
    widen<kSigned>(as ? wasm_v128_load(pa) : sa, vza, &a0, &a1);
    widen<kSigned>(bs ? wasm_v128_load(pb) : sb, vzb, &b0, &b1);
    auto finish = [&](v128_t f) {
      const v128_t c = wasm_f32x4_pmin(wasm_f32x4_pmax(f, vlo), vhi);
      return wasm_i32x4_sub(wasm_f32x4_add(c, vmagic), vmagic_zc);
    };
    v128_t q[4];
    if (kMul) {
      // |(a - za) * (b - zb)| <= 255 * 255: exact in int32 and in float.
      q[0] = finish(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extmul_low_i16x8(a0, b0)), vra));
      q[1] = finish(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extmul_high_i16x8(a0, b0)), vra));
      q[2] = finish(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extmul_low_i16x8(a1, b1)), vra));
      q[3] = finish(wasm_f32x4_mul(wasm_f32x4_convert_i32x4(wasm_i32x4_extmul_high_i16x8(a1, b1)), vra));
    } else {
      q[0] = finish(wasm_f32x4_add(wasm_f32x4_mul(vra, f_lo(a0)), wasm_f32x4_mul(vrb, f_lo(b0))));
      q[1] = finish(wasm_f32x4_add(wasm_f32x4_mul(vra, f_hi(a0)), wasm_f32x4_mul(vrb, f_hi(b0))));
      q[2] = finish(wasm_f32x4_add(wasm_f32x4_mul(vra, f_lo(a1)), wasm_f32x4_mul(vrb, f_lo(b1))));
      q[3] = finish(wasm_f32x4_add(wasm_f32x4_mul(vra, f_hi(a1)), wasm_f32x4_mul(vrb, f_hi(b1))));
    }
    const v128_t h0 = wasm_i16x8_narrow_i32x4(q[0], q[1]), h1 = wasm_i16x8_narrow_i32x4(q[2], q[3]);
    wasm_v128_store(py, kSigned ? wasm_i8x16_narrow_i16x8(h0, h1) : wasm_u8x16_narrow_i16x8(h0, h1));
  };
  const uint8_t* pa = static_cast<const uint8_t*>(a);
  const uint8_t* pb = static_cast<const uint8_t*>(b);
  uint8_t* py = static_cast<uint8_t*>(y);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) block(pa + i * as, pb + i * bs, py + i);
  if (i < n) {
    // The tail through zero-padded copies: never reads or writes past the runs.
    const size_t r = n - i;
    alignas(16) uint8_t ta[16] = {0}, tb[16] = {0}, ty[16];
    std::memcpy(ta, pa + i * as, as ? r : 1);
    std::memcpy(tb, pb + i * bs, bs ? r : 1);
    block(ta, tb, ty);
    std::memcpy(py + i, ty, r);
  }
}
#endif

}  // namespace

void q8_binary_reference(const Q8BinaryParams& p, const void* a, size_t a_stride, const void* b, size_t b_stride,
                         void* y, size_t n) {
  if (p.is_signed)
    reference_impl<true>(p, a, a_stride, b, b_stride, y, n);
  else
    reference_impl<false>(p, a, a_stride, b, b_stride, y, n);
}

void q8_binary(const Q8BinaryParams& p, const void* a, size_t a_stride, const void* b, size_t b_stride, void* y,
               size_t n) {
  if (n == 0) return;
#if EDGEINFER_SIMD128
  if (p.is_signed)
    (p.mul ? simd_impl<true, true> : simd_impl<true, false>)(p, a, a_stride, b, b_stride, y, n);
  else
    (p.mul ? simd_impl<false, true> : simd_impl<false, false>)(p, a, a_stride, b, b_stride, y, n);
#else
  q8_binary_reference(p, a, a_stride, b, b_stride, y, n);
#endif
}

}  // namespace edgeinfer
