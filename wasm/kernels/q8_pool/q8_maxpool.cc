// 8-bit 2x2 stride-2 max pooling rows (see q8_maxpool.h).
#include "kernels/q8_pool/q8_maxpool.h"

#include <algorithm>

#include "kernels/simd.h"

namespace edgeinfer {
namespace {

template <typename T>
void row_scalar(const T* r0, const T* r1, T* out, size_t ow) {
  for (size_t j = 0; j < ow; ++j)
    out[j] = std::max(std::max(r0[2 * j], r0[2 * j + 1]), std::max(r1[2 * j], r1[2 * j + 1]));
}

#if EDGEINFER_SIMD128
// The max of each byte pair of v, as 8 16-bit lanes.
template <bool kSigned>
inline v128_t pair_max(v128_t v) {
  if (kSigned) return wasm_i16x8_max(wasm_i16x8_shr(wasm_i16x8_shl(v, 8), 8), wasm_i16x8_shr(v, 8));
  return wasm_u16x8_max(wasm_v128_and(v, wasm_i16x8_splat(0xFF)), wasm_u16x8_shr(v, 8));
}

// Outputs [0, steps * 16) of a row: 16 per step from two 32-byte row segments.
template <bool kSigned>
inline void row_steps(const uint8_t* r0, const uint8_t* r1, uint8_t* out, size_t steps) {
  for (size_t j = 0; j < 16 * steps; j += 16) {
    const uint8_t* a = r0 + 2 * j;
    const uint8_t* b = r1 + 2 * j;
    const v128_t m0 = kSigned ? wasm_i8x16_max(wasm_v128_load(a), wasm_v128_load(b))
                              : wasm_u8x16_max(wasm_v128_load(a), wasm_v128_load(b));
    const v128_t m1 = kSigned ? wasm_i8x16_max(wasm_v128_load(a + 16), wasm_v128_load(b + 16))
                              : wasm_u8x16_max(wasm_v128_load(a + 16), wasm_v128_load(b + 16));
    const v128_t lo = pair_max<kSigned>(m0), hi = pair_max<kSigned>(m1);
    wasm_v128_store(out + j, kSigned ? wasm_i8x16_narrow_i16x8(lo, hi) : wasm_u8x16_narrow_i16x8(lo, hi));
  }
}

template <bool kSigned>
void row_simd(const uint8_t* r0, const uint8_t* r1, uint8_t* out, size_t ow) {
  row_steps<kSigned>(r0, r1, out, ow / 16);
  const size_t j = ow / 16 * 16;
  if (kSigned)
    row_scalar(reinterpret_cast<const int8_t*>(r0) + 2 * j, reinterpret_cast<const int8_t*>(r1) + 2 * j,
               reinterpret_cast<int8_t*>(out) + j, ow - j);
  else
    row_scalar(r0 + 2 * j, r1 + 2 * j, out + j, ow - j);
}
#endif

}  // namespace

void q8_maxpool_2x2s2_row_reference(const void* r0, const void* r1, void* out, size_t ow, bool is_signed) {
  if (is_signed)
    row_scalar(static_cast<const int8_t*>(r0), static_cast<const int8_t*>(r1), static_cast<int8_t*>(out), ow);
  else
    row_scalar(static_cast<const uint8_t*>(r0), static_cast<const uint8_t*>(r1), static_cast<uint8_t*>(out), ow);
}

void q8_maxpool_2x2s2_row(const void* r0, const void* r1, void* out, size_t ow, bool is_signed) {
#if EDGEINFER_SIMD128
  (is_signed ? row_simd<true> : row_simd<false>)(static_cast<const uint8_t*>(r0), static_cast<const uint8_t*>(r1),
                                                   static_cast<uint8_t*>(out), ow);
#else
  q8_maxpool_2x2s2_row_reference(r0, r1, out, ow, is_signed);
#endif
}

void q8_maxpool_2x2s2_rows(const void* x, size_t iw, size_t x_bytes, void* y, size_t oh, size_t ow, bool is_signed) {
  const uint8_t* xb = static_cast<const uint8_t*>(x);
  uint8_t* yb = static_cast<uint8_t*>(y);
#if EDGEINFER_SIMD128
  const size_t steps = (ow + 15) / 16;
  for (size_t r = 0; r < oh; ++r) {
    const uint8_t* r0 = xb + 2 * r * iw;
    const bool fits = r + 1 < oh && r0 + iw + 32 * steps <= xb + x_bytes && r * ow + 16 * steps <= oh * ow;
    if (fits)
      (is_signed ? row_steps<true> : row_steps<false>)(r0, r0 + iw, yb + r * ow, steps);
    else
      q8_maxpool_2x2s2_row(r0, r0 + iw, yb + r * ow, ow, is_signed);
  }
#else
  (void)x_bytes;
  for (size_t r = 0; r < oh; ++r)
    q8_maxpool_2x2s2_row_reference(xb + 2 * r * iw, xb + (2 * r + 1) * iw, yb + r * ow, ow, is_signed);
#endif
}

}  // namespace edgeinfer
