// Vectorised expf (Cephes polynomial, ~2 ulp on [-87, 88]); inputs below -87.3 give the smallest
// normal float rather than 0, and NaN propagates. Shared by the kernel families of this engineer.
#pragma once

#include <cmath>

#include "kernels/simd.h"

#if EDGEINFER_SIMD128
namespace edgeinfer::kernels {

// Bit-identical to the plain formulation with f32x4.min/max, nearest and trunc_sat, but cheaper in V8:
// the clamp uses pmin/pmax (a NaN input stays NaN through them and is restored by the final select),
// and round(x * log2(e)) comes from adding 1.5 * 2^23, whose bit pattern also gives the integer n
// without trunc_sat (exact: |x * log2(e)| < 2^22).
static inline v128_t f32x4_exp(v128_t x) {
  const v128_t nan_mask = wasm_f32x4_ne(x, x);
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, wasm_f32x4_splat(-87.33654f)), wasm_f32x4_splat(88.0f));
  const v128_t magic = wasm_f32x4_splat(12582912.0f);
  const v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), magic);
  const v128_t fx = wasm_f32x4_sub(t, magic);
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_add(r, wasm_f32x4_mul(fx, wasm_f32x4_splat(2.12194440e-4f)));
  v128_t p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), wasm_f32x4_add(r, wasm_f32x4_splat(1.0f)));
  // (n + 127) << 23 with n = bits(t) - bits(1.5 * 2^23).
  const v128_t pow2n = wasm_i32x4_shl(wasm_i32x4_sub(t, wasm_i32x4_splat(0x4B400000 - 127)), 23);
  const v128_t y = wasm_f32x4_mul(p, pow2n);
  return wasm_v128_bitselect(wasm_f32x4_splat(NAN), y, nan_mask);
}

static inline float f32x4_hmax(v128_t v) {
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_max(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}
static inline float f32x4_hmin(v128_t v) {
  v = wasm_f32x4_min(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_min(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}
static inline float f32x4_hsum(v128_t v) {
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  v = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(v, 0);
}

}  // namespace edgeinfer::kernels
#endif
